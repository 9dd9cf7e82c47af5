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
# evaluation and writing included. Needs /usr/bin/python3 with Debian's
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

best_peer=0 best_mesa=0
for r in $(seq "$rounds"); do
	p=$(/usr/bin/python3 "$peer/maze_ga_numba.py" 800 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["env_steps_per_s"])')
	t0=$(date +%s.%N)
	"$work/mesa" run --config "$peer/mesa_ga_planner.yaml" --workers 1 --quiet --out "$work/run" --overwrite > /dev/null
	t1=$(date +%s.%N)
	steps=$(envsteps "$work/run")
	m=$(/usr/bin/python3 -c "print(int($steps / ($t1 - $t0)))")
	printf 'round %d: peer %d env steps/s, mesa %d env steps in %.3f s = %d env steps/s\n' "$r" "$p" "$steps" "$(/usr/bin/python3 -c "print($t1 - $t0)")" "$m"
	best_peer=$((p > best_peer ? p : best_peer))
	best_mesa=$((m > best_mesa ? m : best_mesa))
done
printf 'best of %d: peer %d, mesa %d env steps/s: mesa/peer = %s\n' "$rounds" "$best_peer" "$best_mesa" \
	"$(/usr/bin/python3 -c "print(round($best_mesa / $best_peer, 2))")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
