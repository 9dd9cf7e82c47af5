#!/bin/bash
# speed.sh: the speed suite as the README reports it, on one worker.
#
#   scripts/bench/speed.sh [COUNT]      # from the repository root; COUNT runs of each [1]
#
# BenchmarkTrain trains every family with every optimizer of the default
# run from scratch for 4M env steps (the default run's budget) and reports
# env steps/s; BenchmarkEpisode splits an evaluation episode's cost into
# making its level, planning at its start and its steps; the planner's
# benchmarks time one plan (mixed levels and θ), and a plan with the first
# gradient after it. Take the best of COUNT on a shared machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
count=${1:-1}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
go test ./experiment -run '^$' -bench 'Train' -benchtime 1x -count "$count" -args -bench.trainsteps 4000000 | grep -E '^Benchmark'
go test ./experiment -run '^$' -bench 'Episode' -benchtime 20000x -count "$count" | grep -E '^Benchmark'
go test ./agents -run '^$' -bench 'PlannerPlanMixed|PlannerGradLogProb' -count "$count" | grep -E '^Benchmark'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
