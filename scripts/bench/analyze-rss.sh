#!/bin/bash
# analyze-rss.sh: the peak resident memory of `mesa analyze` (tables and
# report.md, without figures) and of `mesa render --run` (the Replayer, which
# the report's example maze uses too) against the size of a sweep, and both
# extrapolated to 50 seeds × 10 points.
#
#   scripts/bench/analyze-rss.sh [MESA]      # from the repository root
#
# Each sweep is the default run (green-exit: GA and SGD on the planner and
# the reactive agent, 6 scripted references, 200 episodes per split, 4
# splits and the probes) swept over train.randomize, with a budget of
# 50000 env steps so that it runs in seconds (a GA generation needs about
# 30000): what analysis reads — rows per agent and split — does not depend
# on the budget. Tables are read one record batch (65536 rows) at a time,
# so above a batch memory grows with the agents, not the rows: a
# least-squares line of peak RSS against the number of agents (points ×
# (4·seeds + 6)), each with 1000 episode rows, is extrapolated to 50 seeds
# × 10 points (2060 agents). MESA is a mesa binary to measure (default: built from
# this checkout).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mesa=${1:-}
if [ -z "$mesa" ]; then
	(cd "$repo" && go build -o "$work/mesa" ./cmd/mesa)
	mesa=$work/mesa
fi

values() { # n values of train.randomize for a sweep of n points
	/usr/bin/python3 -c "import sys; n=int(sys.argv[1]); print('[' + ', '.join(str(round(k/(4*n), 4)) for k in range(n)) + ']')" "$1"
}

echo "seeds points agents episode_rows analyze_peak_rss_kb render_peak_rss_kb"
: > "$work/points.txt"
for size in "8 2" "8 4" "16 4" "16 8" "32 4"; do
	set -- $size
	seeds=$1 points=$2
	cfg=$work/sweep-$seeds-$points.yaml
	{
		grep -v '^budget:' "$repo/experiment/presets/green-exit.yaml"
		echo "budget: {env_steps: 50000}"
		echo "sweep: {train.randomize: $(values "$points")}"
	} > "$cfg"
	out=$work/run-$seeds-$points
	"$mesa" sweep --config "$cfg" --out "$out" --set seeds="$seeds" --quiet > /dev/null
	rss=$( { /usr/bin/time -f '%M' "$mesa" analyze "$out" --quiet --no-figures > /dev/null; } 2>&1 | tail -1)
	agent=$("$mesa" export "$out" --format csv --out "$work/csv" > /dev/null && /usr/bin/python3 -c 'import csv,sys; print(next(r["agent_id"] for r in csv.DictReader(open(sys.argv[1])) if r["role"] == "final"))' "$work/csv/agents.csv")
	rm -rf "$work/csv"
	rrss=$( { /usr/bin/time -f '%M' "$mesa" render --run "$out" --agent "$agent" --split deploy --episode 199 --point $((points - 1)) > /dev/null; } 2>&1 | tail -1)
	# agents: trained agents and references; 1000 episodes each
	agents=$((points * (4 * seeds + 6)))
	echo "$seeds $points $agents $((agents * 1000)) $rss $rrss" | tee -a "$work/points.txt"
	rm -rf "$out"
done
/usr/bin/python3 - "$work/points.txt" <<'PY'
import sys
pts = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
agents = 10 * (4*50 + 6)
for name, col in (("mesa analyze", 4), ("mesa render --run", 5)):
    xs, ys = [p[2] for p in pts], [p[col] for p in pts]
    n = len(xs); mx, my = sum(xs)/n, sum(ys)/n
    b = sum((x-mx)*(y-my) for x, y in zip(xs, ys)) / sum((x-mx)**2 for x in xs)
    a = my - b*mx
    print(f"{name}: peak RSS ≈ {a/1024:.1f} MiB + {b*100/1024:.2f} MiB per 100 agents; "
          f"50 seeds × 10 points ({agents} agents, {agents*1000} episode rows): ≈ {(a + b*agents)/1024:.0f} MiB")
PY
