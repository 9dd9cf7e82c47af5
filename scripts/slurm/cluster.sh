#!/bin/bash
# cluster.sh: a private single-node Slurm cluster on this machine, for trying
# mesa's Slurm scripts (sweep.sbatch, merge.sbatch) and for scripts/slurm/test.sh.
#
#   scripts/slurm/cluster.sh up        install slurm-wlm and munge with apt if missing,
#                                      write slurm.conf, start munged, slurmctld, slurmd
#   scripts/slurm/cluster.sh stop      cancel this cluster's jobs, stop its daemons by PID
#   scripts/slurm/cluster.sh status    daemons, nodes and jobs
#   scripts/slurm/cluster.sh env       print `export SLURM_CONF=...` for sbatch/squeue:
#                                      eval "$(scripts/slurm/cluster.sh env)"
#   scripts/slurm/cluster.sh wait ID...  poll squeue until the jobs (array jobs included)
#                                      have ended; exit 1 unless every one COMPLETED
#   scripts/slurm/cluster.sh check     run a 3-task array job and a dependent job on the
#                                      cluster and check what they wrote (no mesa needed)
#   scripts/slurm/cluster.sh install   only the apt step
#
# It needs root and Debian (apt). It uses no systemd and touches no system
# configuration: every file it writes (slurm.conf, munge key and socket, state,
# PID and log files) is under $MESA_SLURM_DIR, and its munged listens on a
# socket there, so a system munged or Slurm on the same machine is left alone
# (their ports are the exception: see MESA_SLURM_*_PORT).
#
# Environment (defaults in brackets):
#   MESA_SLURM_DIR           state directory [/tmp/mesa-slurm]; `up` empties it
#   MESA_SLURM_CTLD_PORT     slurmctld port [6817]
#   MESA_SLURM_SLURMD_PORT   slurmd port [6818]
#   MESA_SLURM_PARTITION     the partition's name [mesa]
#   MESA_SLURM_START_TIMEOUT seconds to wait for each daemon and the node [60]
#   MESA_SLURM_WAIT_TIMEOUT  seconds `wait` waits for jobs before giving up [3600]
set -euo pipefail

STATE=${MESA_SLURM_DIR:-/tmp/mesa-slurm}
CTLD_PORT=${MESA_SLURM_CTLD_PORT:-6817}
SLURMD_PORT=${MESA_SLURM_SLURMD_PORT:-6818}
PARTITION=${MESA_SLURM_PARTITION:-mesa}
START_TIMEOUT=${MESA_SLURM_START_TIMEOUT:-60}
WAIT_TIMEOUT=${MESA_SLURM_WAIT_TIMEOUT:-3600}

CONF=$STATE/slurm.conf
MUNGE_DIR=$STATE/munge
MUNGE_SOCKET=$MUNGE_DIR/munge.socket
MARKER=$STATE/.mesa-slurm   # marks a directory this script may empty

# Daemons in start order: name (the process's comm), PID file.
DAEMONS=(
	"munged $MUNGE_DIR/munged.pid"
	"slurmctld $STATE/slurmctld.pid"
	"slurmd $STATE/slurmd.pid"
)

log() { echo "cluster.sh: $*" >&2; }
die() {
	log "$*"
	exit 1
}

case $STATE in
/*) ;;
*) die "MESA_SLURM_DIR must be an absolute path (the daemons chdir to /), not '$STATE'" ;;
esac

# install: apt-get install slurm-wlm and munge unless their commands exist.
install_packages() {
	local missing=() cmd
	for cmd in munged mungekey munge unmunge slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
		command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
	done
	if ((${#missing[@]} == 0)); then
		return 0
	fi
	log "installing slurm-wlm and munge with apt (missing: ${missing[*]})"
	((EUID == 0)) || die "installing packages needs root"
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install Slurm and munge by hand"
	# Wait for the dpkg lock if another apt is running, rather than failing.
	local apt=(apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends slurm-wlm munge)
	if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}"; then
		log "apt-get install failed; running apt-get update and trying once more"
		apt-get -o DPkg::Lock::Timeout=300 update -q || die "apt-get update failed"
		DEBIAN_FRONTEND=noninteractive "${apt[@]}" || die "apt-get install slurm-wlm munge failed"
	fi
}

# alive PID: the process exists and has not exited (a zombie waiting for init
# to reap it has exited).
alive() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != [ZX] ]]
}

# pid_of NAME PIDFILE: the PID in PIDFILE if that process is alive and is NAME.
pid_of() {
	local name=$1 file=$2 pid comm
	[[ -r $file ]] || return 1
	pid=$(<"$file")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
	[[ $comm == "$name" ]] && alive "$pid" || return 1
	echo "$pid"
}

# wait_for DESCRIPTION COMMAND...: run COMMAND every 0.2 s until it succeeds,
# at most START_TIMEOUT seconds; give up at once if it exits with 99.
wait_for() {
	local what=$1 rc
	shift
	local deadline=$((SECONDS + START_TIMEOUT))
	while :; do
		rc=0
		"$@" >/dev/null 2>&1 || rc=$?
		((rc != 0)) || return 0
		((rc != 99)) || {
			log "gave up waiting for $what: the daemon has exited"
			return 1
		}
		((SECONDS < deadline)) || {
			log "timed out after ${START_TIMEOUT}s waiting for $what"
			return 1
		}
		sleep 0.2
	done
}

# write_conf: a minimal slurm.conf for this machine as one node.
write_conf() {
	local host node
	host=$(hostname -s)
	# slurmd -C prints this machine's real CPU layout and memory as a NodeName line;
	# configuring exactly that keeps slurmd from draining the node for a mismatch.
	node=$(slurmd -C | head -n 1)
	[[ $node == "NodeName=$host "*RealMemory=* ]] || die "unexpected 'slurmd -C' output: $node"
	cat >"$CONF" <<EOF
# Written by scripts/slurm/cluster.sh for a single-node test cluster.
ClusterName=mesa
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# No cgroups and no systemd here: track job processes through /proc.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# No accounting database: finished jobs stay visible to squeue for MinJobAge seconds.
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MinJobAge=600
MpiDefault=none
SchedulerType=sched/backfill
# Schedule as soon as a job is submitted or ends (the default batches for 3 s).
SchedulerParameters=batch_sched_delay=0
MailProg=/bin/true
# Cores are consumable, memory is not: a job asks for CPUs only.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=$PARTITION Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

start_munged() {
	id munge >/dev/null 2>&1 || die "user munge does not exist (the munge package creates it)"
	install -d -m 0755 -o munge -g munge "$MUNGE_DIR"
	mungekey --create --keyfile="$MUNGE_DIR/munge.key" || die "mungekey could not create $MUNGE_DIR/munge.key"
	chown munge:munge "$MUNGE_DIR/munge.key"
	chmod 0400 "$MUNGE_DIR/munge.key"
	runuser -u munge -- munged \
		--socket="$MUNGE_SOCKET" \
		--key-file="$MUNGE_DIR/munge.key" \
		--pid-file="$MUNGE_DIR/munged.pid" \
		--log-file="$MUNGE_DIR/munged.log" \
		--seed-file="$MUNGE_DIR/munged.seed" \
		</dev/null >"$STATE/log/munged.out" 2>&1 ||
		die "munged failed to start; see $STATE/log/munged.out and $MUNGE_DIR/munged.log"
	wait_for "munged's PID file $MUNGE_DIR/munged.pid" pid_of munged "$MUNGE_DIR/munged.pid" || return 1
	wait_for "munged to answer on $MUNGE_SOCKET" munge_works
}

# Readiness checks for wait_for: 99 when the daemon they wait for is gone.
munge_works() {
	pid_of munged "$MUNGE_DIR/munged.pid" >/dev/null || return 99
	munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET"
}

ctld_answers() {
	pid_of slurmctld "$STATE/slurmctld.pid" >/dev/null || return 99
	scontrol ping
}

node_state() {
	sinfo -h -N -o %T 2>/dev/null
}

node_idle() {
	pid_of slurmd "$STATE/slurmd.pid" >/dev/null || return 99
	pid_of slurmctld "$STATE/slurmctld.pid" >/dev/null || return 99
	[[ $(node_state) == idle ]]
}

up() {
	((EUID == 0)) || die "'up' needs root: slurmd runs jobs as their users and munged as user munge"
	install_packages
	local entry name file
	for entry in "${DAEMONS[@]}"; do
		read -r name file <<<"$entry"
		if pid_of "$name" "$file" >/dev/null; then
			die "$name is already running from $STATE (PID $(<"$file")); run '$0 stop' first"
		fi
	done
	if [[ -e $STATE && ! -e $MARKER ]] && [[ -n $(ls -A "$STATE") ]]; then
		die "$STATE exists, is not empty and was not made by this script; set MESA_SLURM_DIR to another directory"
	fi
	rm -rf "$STATE"
	install -d -m 0755 "$STATE" "$STATE/ctld" "$STATE/slurmd" "$STATE/log"
	touch "$MARKER"
	write_conf
	export SLURM_CONF=$CONF

	# From here on, any failure (die included) stops whatever was started and
	# shows the logs.
	trap up_failed EXIT
	local t0=$EPOCHREALTIME
	start_munged
	slurmctld -c -f "$CONF" </dev/null >"$STATE/log/slurmctld.out" 2>&1
	wait_for "slurmctld's PID file" pid_of slurmctld "$STATE/slurmctld.pid"
	wait_for "slurmctld to answer (scontrol ping)" ctld_answers
	slurmd -f "$CONF" </dev/null >"$STATE/log/slurmd.out" 2>&1
	wait_for "slurmd's PID file" pid_of slurmd "$STATE/slurmd.pid"
	if ! wait_for "node $(hostname -s) to be idle (sinfo)" node_idle; then
		log "node state: $(node_state); reason: $(sinfo -h -R -o %E)"
		false
	fi
	trap - EXIT
	log "up in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s: munged $(<"$MUNGE_DIR/munged.pid"), slurmctld $(<"$STATE/slurmctld.pid"), slurmd $(<"$STATE/slurmd.pid"); $(sinfo -h -o '%P %D node(s) %c CPUs %T')"
	log "state, logs and slurm.conf in $STATE; use: export SLURM_CONF=$CONF"
}

up_failed() {
	local rc=$?
	trap - EXIT
	log "start-up failed; logs follow"
	show_logs
	stop
	exit "$((rc == 0 ? 1 : rc))"
}

show_logs() {
	local f
	for f in "$STATE"/log/*.out "$MUNGE_DIR/munged.log" "$STATE/log/slurmctld.log" "$STATE/log/slurmd.log"; do
		[[ -s $f ]] || continue
		echo "--- tail of $f" >&2
		tail -n 20 "$f" >&2
	done
}

# stop_daemons "NAME PIDFILE"...: SIGTERM to each that is running, up to 15 s
# for all of them to exit, then SIGKILL to any still there.
stop_daemons() {
	local entry name file pid i alive
	local -A pids=()
	for entry in "$@"; do
		read -r name file <<<"$entry"
		if pid=$(pid_of "$name" "$file"); then
			kill -TERM "$pid" 2>/dev/null || true
			pids[$name]=$pid
		fi
		rm -f "$file"
	done
	for ((i = 0; i < 100; i++)); do
		alive=0
		for pid in "${pids[@]}"; do
			alive "$pid" && alive=1
		done
		((alive)) || break
		if ((i == 75)); then
			for name in "${!pids[@]}"; do
				pid=${pids[$name]}
				if alive "$pid"; then
					log "$name (PID $pid) ignored SIGTERM for 15s; sending SIGKILL"
					kill -KILL "$pid" 2>/dev/null || true
				fi
			done
		fi
		sleep 0.2
	done
	for name in "${!pids[@]}"; do
		pid=${pids[$name]}
		! alive "$pid" || die "$name (PID $pid) is still running after SIGKILL"
		log "stopped $name (PID $pid)"
	done
}

# stop: cancel every job of this cluster (their processes are not children of
# slurmd, so stopping slurmd would leave them running), then stop the daemons
# in reverse start order.
stop() {
	export SLURM_CONF=$CONF
	if [[ -r $CONF ]] && pid_of slurmctld "$STATE/slurmctld.pid" >/dev/null; then
		local jobs pids i
		jobs=$(squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ') || jobs=
		if [[ -n ${jobs// /} ]]; then
			log "cancelling jobs: $jobs"
			# shellcheck disable=SC2086 # a list of job IDs
			scancel $jobs 2>/dev/null || true
			for ((i = 0; i < 150; i++)); do
				[[ -z $(squeue -h -t running,completing,suspended -o %A 2>/dev/null) ]] && break
				sleep 0.2
			done
		fi
		if pid_of slurmd "$STATE/slurmd.pid" >/dev/null; then
			# Whatever job processes are still there (scontrol lists them per step).
			pids=$(scontrol listpids 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ {print $1}' | tr '\n' ' ') || pids=
			if [[ -n ${pids// /} ]]; then
				log "killing leftover job processes: $pids"
				# shellcheck disable=SC2086 # a list of PIDs
				kill -KILL $pids 2>/dev/null || true
			fi
		fi
	fi
	# All together: each takes 1.5-2 s to shut down, and none needs another to do so.
	stop_daemons "${DAEMONS[@]}"
}

status() {
	local entry name file pid rc=0
	for entry in "${DAEMONS[@]}"; do
		read -r name file <<<"$entry"
		if pid=$(pid_of "$name" "$file"); then
			echo "$name: running, PID $pid"
		else
			echo "$name: not running"
			rc=1
		fi
	done
	if ((rc == 0)); then
		export SLURM_CONF=$CONF
		sinfo
		squeue
	fi
	return "$rc"
}

# wait_jobs ID...: poll squeue until every job (each array task) has ended.
# Exit 0 only if all COMPLETED. A job pending on a dependency that can never
# be satisfied (an afterok on a failed job) counts as failed.
wait_jobs() {
	(($# > 0)) || die "wait: give one or more job IDs"
	export SLURM_CONF=$CONF
	local ids deadline lines summary last='' id state reason pending failed
	ids=$(
		IFS=,
		echo "$*"
	)
	deadline=$((SECONDS + WAIT_TIMEOUT))
	while :; do
		lines=$(squeue -h -r -t all -j "$ids" -o '%i %T %r' 2>&1) ||
			die "squeue -j $ids failed: $lines"
		[[ -n $lines ]] || die "squeue knows none of the jobs $ids"
		pending=0 failed=()
		while read -r id state reason; do
			case $state in
			COMPLETED) ;;
			PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | REQUEUED | RESIZING | STAGE_OUT | SIGNALING)
				if [[ $reason == DependencyNeverSatisfied ]]; then
					failed+=("$id:$state($reason)")
				else
					pending=$((pending + 1))
				fi
				;;
			*) failed+=("$id:$state") ;;
			esac
		done <<<"$lines"
		summary=$(awk '{n[$2]++} END {for (s in n) {printf "%s%d %s", sep, n[s], s; sep = ", "}}' <<<"$lines")
		if [[ $summary != "$last" ]]; then
			log "jobs $ids: $summary"
			last=$summary
		fi
		if ((pending == 0)); then
			((${#failed[@]} == 0)) || {
				log "jobs that did not complete: ${failed[*]}"
				return 1
			}
			return 0
		fi
		if ((${#failed[@]} > 0)) && [[ ${failed[*]} == *DependencyNeverSatisfied* ]]; then
			log "jobs that did not complete: ${failed[*]}"
			return 1
		fi
		((SECONDS < deadline)) || die "jobs $ids still running after ${WAIT_TIMEOUT}s"
		sleep 1
	done
}

# check: a 3-task array job and a job that depends on it, each writing what
# Slurm told it; then the files are compared with what they should hold.
check() {
	export SLURM_CONF=$CONF
	local dir array after got want
	dir=$STATE/check
	rm -rf "$dir"
	mkdir -p "$dir"
	# shellcheck disable=SC2016 # expanded by the job's shell, not here
	array=$(sbatch --parsable --job-name=check-array --array=0-2 --chdir="$dir" --output="$dir/%A_%a.out" \
		--wrap='echo "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" >"task-$SLURM_ARRAY_TASK_ID"')
	array=${array%%;*}
	after=$(sbatch --parsable --job-name=check-after --dependency="afterok:$array" --kill-on-invalid-dep=yes \
		--chdir="$dir" --output="$dir/%j.out" --wrap='cat task-0 task-1 task-2 >all')
	after=${after%%;*}
	log "submitted array job $array and dependent job $after"
	wait_jobs "$array" "$after"
	got=$(cat "$dir/all")
	want=$(printf '0/3\n1/3\n2/3')
	[[ $got == "$want" ]] || die "check: the jobs wrote '$got', want '$want'"
	log "check passed: array job $array ran 3 tasks, job $after ran after them"
}

case ${1:-} in
install) install_packages ;;
up) up ;;
stop) stop ;;
status) status ;;
env) echo "export SLURM_CONF=$CONF" ;;
wait)
	shift
	wait_jobs "$@"
	;;
check) check ;;
*)
	echo "usage: $0 install|up|stop|status|env|wait JOBID...|check" >&2
	exit 2
	;;
esac
