#!/bin/bash
# test.sh: mesa's Slurm scripts end to end on a real single-node Slurm.
#
#   sudo scripts/slurm/test.sh
#
# It builds mesa, brings up a private cluster with cluster.sh (installing
# Debian's slurm-wlm and munge with apt if they are missing), submits the test
# sweep as an array job of $MESA_SLURM_TASKS tasks (sweep.sbatch) plus the
# dependent merge job (merge.sbatch), checks that the array tasks ran every
# unit (the merge job only merged), stops the cluster, runs the same sweep
# unsharded into another directory, and checks that both manifests are complete
# and every merged table (*.arrow) is byte-identical. It prints the time of
# each step and exits non-zero on any failure, and no Slurm or munge daemon it
# started outlives it, whatever the exit path.
#
# Needs root, Debian (apt), Go, and the default Slurm ports 6817 and 6818 free.
# Environment (defaults in brackets):
#   MESA_SLURM_TASKS        array tasks, i.e. shards [3]
#   MESA_SLURM_TEST_CONFIG  the sweep [scripts/slurm/testdata/sweep.yaml]
#   MESA_SLURM_MESA         a mesa binary to test instead of building one from this checkout
#   MESA_SLURM_KEEP         1: keep the work directory even when the test passes [0]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
TASKS=${MESA_SLURM_TASKS:-3}
CONFIG=$(realpath "${MESA_SLURM_TEST_CONFIG:-$here/testdata/sweep.yaml}")
KEEP=${MESA_SLURM_KEEP:-0}

log() { echo "test.sh: $*" >&2; }
die() {
	log "FAILED: $*"
	exit 1
}

[[ $TASKS =~ ^[1-9][0-9]*$ ]] || die "MESA_SLURM_TASKS must be a positive integer, not '$TASKS'"
((EUID == 0)) || die "needs root: it installs packages and starts slurmd and munged"
[[ -r $CONFIG ]] || die "cannot read the sweep config $CONFIG"

start=$EPOCHREALTIME
phase_start=$start
timings=()
# phase NAME: record the time since the previous phase ended.
phase() {
	local now=$EPOCHREALTIME
	timings+=("$1 $(elapsed "$phase_start" "$now")s")
	phase_start=$now
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# One run at a time (the cluster's ports are fixed), in a fixed directory, so
# that a run killed with SIGKILL, whose trap could not stop the daemons, is
# cleaned up by the next one: it stops them by their PID files.
work=${TMPDIR:-/tmp}/mesa-slurm-test
exec 9>"$work.lock" # held only while checking and writing $work.pid
flock -w 30 9 || die "could not lock $work.lock within 30s"
if [[ -r $work.pid ]] && other=$(<"$work.pid") && [[ $other =~ ^[0-9]+$ ]] &&
	[[ $(cat "/proc/$other/comm" 2>/dev/null) == test.sh ]] &&
	[[ $(awk '{print $3}' "/proc/$other/stat" 2>/dev/null) != [ZX] ]]; then
	die "another scripts/slurm/test.sh is running (PID $other, in $work.pid)"
fi
echo $$ >"$work.pid"
exec 9>&-
export MESA_SLURM_DIR=$work/cluster
if [[ -d $MESA_SLURM_DIR ]]; then
	"$here/cluster.sh" stop || die "could not stop the daemons a previous run left in $MESA_SLURM_DIR"
fi
rm -rf "$work"
mkdir -m 0755 "$work" # 0755: munged, as user munge, reaches its socket through it
mesa=$work/bin/mesa
slurm_out=$work/slurm-run
local_out=$work/local-run
jobs_dir=$work/jobs
mkdir -p "$jobs_dir"

# run CMD...: CMD in the background, waited for, so that a signal to this
# script is acted on at once instead of when CMD ends (finish stops CMD).
child=''
run() {
	local rc=0
	"$@" &
	child=$!
	wait "$child" || rc=$?
	child=''
	return "$rc"
}

# On every exit: stop the daemons (by PID, via cluster.sh), print the times,
# and on failure say where the logs are.
finish() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $child ]]; then
		kill -TERM "$child" 2>/dev/null || true
		wait "$child" 2>/dev/null || true
	fi
	"$here/cluster.sh" stop || {
		log "FAILED: cluster.sh stop"
		rc=1
	}
	rm -f "$work.pid"
	log "times: ${timings[*]:-none}; total $(elapsed "$start" "$EPOCHREALTIME")s"
	if ((rc == 0)); then
		log "passed: $TASKS array tasks + merge on Slurm = unsharded run, byte for byte"
		if [[ $KEEP == 1 ]]; then
			log "kept $work"
		else
			rm -rf "$work"
		fi
	else
		log "FAILED (exit $rc); job output, cluster logs and run directories are in $work (until the next run)"
	fi
	# Last, the plain closing line that readers of test output count.
	echo "slurm: $((rc == 0)) passed, $((rc != 0)) failed"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# show_job_output: the array tasks' and merge job's output, for a failure.
show_job_output() {
	local f
	for f in "$jobs_dir"/*.out; do
		[[ -e $f ]] || continue
		echo "--- $f" >&2
		tail -n 30 "$f" >&2
	done
}

if [[ -n ${MESA_SLURM_MESA:-} ]]; then
	mkdir -p "$(dirname "$mesa")"
	cp "$MESA_SLURM_MESA" "$mesa" || die "cannot copy MESA_SLURM_MESA=$MESA_SLURM_MESA"
else
	log "building mesa into $mesa"
	run go -C "$repo" build -o "$mesa" ./cmd/mesa || die "go build ./cmd/mesa"
fi
"$mesa" sweep -h >/dev/null 2>&1 ||
	die "this mesa has no 'sweep' command ($mesa sweep -h failed); the test needs mesa sweep with --shard and Slurm array support"
phase build

run "$here/cluster.sh" install || die "installing slurm-wlm and munge"
phase apt-install

run "$here/cluster.sh" up || die "cluster.sh up"
eval "$("$here/cluster.sh" env)"
phase cluster-up

log "the sweep's units:"
noshard=(env -u SLURM_ARRAY_TASK_ID -u SLURM_ARRAY_TASK_COUNT -u JOB_COMPLETION_INDEX -u MESA_SHARD_COUNT)
"${noshard[@]}" "$mesa" sweep plan --config "$CONFIG" >&2 || die "mesa sweep plan --config $CONFIG"

log "submitting $CONFIG as an array of $TASKS tasks and a dependent merge job"
export CONFIG OUT=$slurm_out MESA=$mesa
array=$(sbatch --parsable --array="0-$((TASKS - 1))" --chdir="$jobs_dir" "$here/sweep.sbatch") ||
	die "sbatch sweep.sbatch"
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
	--chdir="$jobs_dir" "$here/merge.sbatch") || die "sbatch merge.sbatch"
merge=${merge%%;*}
log "array job $array, merge job $merge"
if ! run "$here/cluster.sh" wait "$array" "$merge"; then
	show_job_output
	die "the Slurm jobs did not all complete"
fi
for f in "$jobs_dir"/*.out; do
	grep -E 'to run here|shard .* done|^merged' "$f" | sed "s|^|test.sh: $(basename "$f"): |" >&2 || true
done
# The array tasks must have run every unit, leaving the merge job only the
# merge: otherwise mesa did not take its shards from Slurm's variables.
merge_log=$jobs_dir/mesa-merge-$merge.out
grep -q ', 0 to run here' "$merge_log" ||
	die "the merge job ran units itself, so the array tasks did not run them all (looked for ', 0 to run here' in $merge_log)"
phase array+merge

"$here/cluster.sh" stop || die "cluster.sh stop"
phase cluster-stop

log "running the same sweep unsharded into $local_out"
run "${noshard[@]}" "$mesa" sweep --config "$CONFIG" --out "$local_out" --quiet >"$work/local-run.out" ||
	die "unsharded mesa sweep (its output is in $work/local-run.out)"
phase local-run

for dir in "$slurm_out" "$local_out"; do
	grep -Eq '"status"[[:space:]]*:[[:space:]]*"complete"' "$dir/manifest.json" 2>/dev/null ||
		die "$dir/manifest.json is missing or its status is not complete"
done
tables=()
for f in "$slurm_out"/*.arrow "$local_out"/*.arrow; do
	[[ -e $f ]] && tables+=("$(basename "$f")")
done
mapfile -t tables < <(printf '%s\n' "${tables[@]}" | sort -u)
for t in episodes.arrow training.arrow agents.arrow; do
	[[ " ${tables[*]} " == *" $t "* ]] || die "no $t in either run directory"
done
differ=()
for t in "${tables[@]}"; do
	[[ -e $slurm_out/$t ]] || die "$t is in the unsharded run but not in the Slurm run"
	[[ -e $local_out/$t ]] || die "$t is in the Slurm run but not in the unsharded run"
	if cmp "$slurm_out/$t" "$local_out/$t"; then
		log "$t identical ($(stat -c %s "$local_out/$t") bytes)"
	else
		differ+=("$t")
	fi
done
((${#differ[@]} == 0)) || die "the Slurm run and the unsharded run differ in ${differ[*]}"
phase compare
