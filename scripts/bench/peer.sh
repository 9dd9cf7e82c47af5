#!/bin/bash
# peer.sh: mesa against the numba peer on the peer's job, as the peer's
# README says: both on one worker, back to back, best of N rounds each.
#
#   scripts/bench/peer.sh [ROUNDS]        # from the repository root; ROUNDS defaults to 2
#
# The peer (maze_ga_numba.py, 800 generations) prints its env steps/s
# (compilation excluded). mesa's figure is the sum of its training units'
# env_steps in agents.arrow over the wall time of the whole command
# (mesa run --config mesa_ga_planner.yaml --workers 1), process start,
# evaluation and writing included; the marginal rate leaves out the
# fixed cost of a command (see below). Needs /usr/bin/python3 with Debian's
# python3-numba and python3-deap, and Go.
# Environment: MESA_PEER_DIR, the peer's directory [../shared/peer].
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
peer=${MESA_PEER_DIR:-$repo/../shared/peer}
rounds=${1:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$repo" && go build -o "$work/mesa" ./cmd/mesa)
/usr/bin/python3 "$peer/maze_ga_numba.py" 10 > /dev/null # compile and cache outside the rounds

envsteps() { # the training env steps of a run directory
	"$work/mesa" export "$1" --format csv --out "$work/csv" > /dev/null
	/usr/bin/python3 -c 'import csv,sys; print(sum(int(r["env_steps"]) for r in csv.DictReader(open(sys.argv[1])) if r["optimizer"] != "none" and r["role"] == "final"))' "$work/csv/agents.csv"
	rm -rf "$work/csv"
}

# The same job with a budget of 30000 env steps: mesa's fixed cost per
# command (process start, config, the run's files, evaluation, merge and
# report), which the peer's clock, started after its imports, compilation
# and level generation, does not include. The marginal rate is the extra
# steps over the extra time.
sed 's/env_steps: 2000000/env_steps: 30000/' "$peer/mesa_ga_planner.yaml" > "$work/small.yaml"

timed() { # seconds of wall time of a mesa run of config $1 into $2
	local t0 t1
	t0=$(date +%s.%N)
	"$work/mesa" run --config "$1" --workers 1 --quiet --out "$2" --overwrite > /dev/null
	t1=$(date +%s.%N)
	/usr/bin/python3 -c "print($t1 - $t0)"
}

best_peer=0 best_mesa=0 best_marginal=0
for r in $(seq "$rounds"); do
	p=$(/usr/bin/python3 "$peer/maze_ga_numba.py" 800 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["env_steps_per_s"])')
	t=$(timed "$peer/mesa_ga_planner.yaml" "$work/run")
	steps=$(envsteps "$work/run")
	ts=$(timed "$work/small.yaml" "$work/small")
	small=$(envsteps "$work/small")
	m=$(/usr/bin/python3 -c "print(int($steps / $t))")
	mm=$(/usr/bin/python3 -c "print(int(($steps - $small) / ($t - $ts)))")
	printf 'round %d: peer %d env steps/s, mesa %d env steps in %.3f s = %d env steps/s (%d steps in %.3f s: marginal %d env steps/s)\n' \
		"$r" "$p" "$steps" "$t" "$m" "$small" "$ts" "$mm"
	best_peer=$((p > best_peer ? p : best_peer))
	best_mesa=$((m > best_mesa ? m : best_mesa))
	best_marginal=$((mm > best_marginal ? mm : best_marginal))
done
printf 'best of %d: peer %d, mesa %d env steps/s: mesa/peer = %s (marginal %d env steps/s, %s times the peer)\n' "$rounds" "$best_peer" "$best_mesa" \
	"$(/usr/bin/python3 -c "print(round($best_mesa / $best_peer, 2))")" "$best_marginal" \
	"$(/usr/bin/python3 -c "print(round($best_marginal / $best_peer, 2))")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
