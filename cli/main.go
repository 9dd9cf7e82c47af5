// Package cli is the mesa command line, importable: a program that
// registers its own families and base optimizers (experiment.Registry)
// runs the same commands over them with Main, and its main is a few lines
// (see cmd/mesa and examples/).
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/mesa-alignment/mesa/experiment"
)

// Main runs the mesa command line with args (without the program's name),
// over the families and base optimizers of reg, writing to stdout and
// stderr, and returns the exit code: 0 success, 1 failure, 2 usage,
// 128+n stopped by signal n (see Run). Errors are one line on stderr.
func Main(ctx context.Context, reg *experiment.Registry, args []string, stdout, stderr io.Writer) int {
	return exitCode(run(withRegistry(ctx, reg), args, stdout, stderr), stderr)
}

// Run is a mesa main: Main with the process's arguments and standard
// streams, stopped by SIGINT, SIGTERM and SIGHUP. The signals stay caught
// until the process exits: a signal after the command is done is then no
// default kill, and the exit code says how the command went.
//
//	func main() { os.Exit(cli.Run(experiment.NewRegistry())) }
//
// Run also tunes the garbage collector for mesa, unless the environment
// does (GOGC, GOMEMLIMIT): see tuneGC.
func Run(reg *experiment.Registry) int {
	tuneGC(os.Getenv, debug.SetGCPercent, debug.SetMemoryLimit, experiment.MachineMemory())
	ctx, _ := withSignals(context.Background(), os.Stderr, os.Exit)
	return Main(ctx, reg, os.Args[1:], os.Stdout, os.Stderr)
}

// gcPercent is the collector's GOGC for mesa. Training allocates
// short-lived levels and genomes fast (1.7 GB over the default run) over a
// live heap of tens of MB, so at Go's default of 100 the collector runs
// every few MB of allocation. At 200 it runs half as often, for a few MB
// more resident: the default run took 1.3 s less CPU (user and system, of
// 28.8 s) and 14.7–14.9 s → 14.2 s on 2 cores, peak RSS 64 → 65–70 MB;
// the peer job (scripts/bench/peer.sh) 0.429 → 0.422 s. 400 saves little
// more on the default run and slows small runs, whose fresh pages then
// cost more than the collections saved.
const gcPercent = 200

// memoryLimitShare is the share of the machine's memory (experiment.
// MachineMemory) set as the collector's soft limit, so that the larger
// GOGC never takes a big run past what the machine has: near the limit the
// collector runs as often as it must.
const memoryLimitShare = 0.9

// tuneGC sets GOGC to gcPercent unless the environment sets GOGC, and the
// soft memory limit to memoryLimitShare of machine bytes (0: unknown, no
// limit) unless it sets GOMEMLIMIT, through the setters given (those of
// runtime/debug).
func tuneGC(getenv func(string) string, setGCPercent func(int) int, setMemoryLimit func(int64) int64, machine int64) {
	if getenv("GOGC") == "" {
		setGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" && machine > 0 {
		setMemoryLimit(int64(memoryLimitShare * float64(machine)))
	}
}

// registryKey is the context key of the command's registry.
type registryKey struct{}

func withRegistry(ctx context.Context, reg *experiment.Registry) context.Context {
	if reg == nil {
		return ctx
	}
	return context.WithValue(ctx, registryKey{}, reg)
}

// registryOf returns the command's registry: Main's, else mesa's own.
func registryOf(ctx context.Context) *experiment.Registry {
	if reg, ok := ctx.Value(registryKey{}).(*experiment.Registry); ok {
		return reg
	}
	return experiment.Builtin()
}

// stopSignals stop a command: SIGINT (Ctrl-C), SIGTERM (what Slurm,
// Kubernetes and docker send before SIGKILL) and SIGHUP (a closed
// terminal or ssh session), which is a SIGTERM.
var stopSignals = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP}

// A stopSignal is the cause of a context canceled by a signal.
type stopSignal struct{ sig syscall.Signal }

func (s stopSignal) Error() string { return "stopped by " + signalName(s.sig) }

func signalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return sig.String()
}

// withSignals returns a context canceled, with a stopSignal as its cause,
// by the first of stopSignals the process receives; a second one writes a
// line to stderr and calls exit(128+n) at once (what is on disk is then as
// after a kill: complete files, and temporaries the next run removes).
// SIGHUP stays ignored if the process was started ignoring it (nohup);
// SIGINT is caught even then (a shell starts background jobs ignoring it,
// and kill -INT must still stop them). stop releases the signals.
func withSignals(parent context.Context, stderr io.Writer, exit func(int)) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	var sigs []os.Signal
	for _, s := range stopSignals {
		if s != syscall.SIGHUP || !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, sigs...)
	done := make(chan struct{})
	go func() {
		stopped := false
		for {
			select {
			case s := <-ch:
				sig := s.(syscall.Signal)
				if !stopped {
					stopped = true
					cancel(stopSignal{sig})
					continue
				}
				fmt.Fprintf(stderr, "mesa: %s again: stopped at once\n", signalName(sig))
				exit(128 + int(sig))
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// A stopError is a command stopped by a signal.
type stopError struct {
	cmd  string
	sig  syscall.Signal
	left string // what the stop leaves, for the user ("" if nothing to say)
}

func (e *stopError) Error() string {
	msg := fmt.Sprintf("%s: stopped by %s", e.cmd, signalName(e.sig))
	if e.left != "" {
		msg += "; " + e.left
	}
	return msg
}

// stopped returns err as a stopError if ctx was canceled by a signal and
// err is what the cancellation caused: the command then failed because it
// was stopped, and says so. Any other error is returned as it is.
func stopped(ctx context.Context, cmd string, err error, left string) error {
	var sig stopSignal
	if err == nil || !errors.As(context.Cause(ctx), &sig) {
		return err
	}
	if s := (*stopError)(nil); errors.As(err, &s) || !errors.Is(err, context.Canceled) {
		return err
	}
	return &stopError{cmd: cmd, sig: sig.sig, left: left}
}

// usageError marks errors in what the user typed: exit code 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, errHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "mesa:", printable(err.Error()))
	var u usageError
	var s *stopError
	switch {
	case errors.As(err, &u):
		return 2
	case errors.As(err, &s):
		return 128 + int(s.sig)
	}
	return 1
}

// printable returns msg with invalid UTF-8 and control characters other
// than newline and tab escaped (\xff, \x1b): an error may quote a file
// name or argument as the user typed it, and must not write raw bytes to
// a terminal.
func printable(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); {
		r, n := utf8.DecodeRuneInString(msg[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, "\\x%02x", msg[i])
		case r < 0x20 && r != '\n' && r != '\t', r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		case r >= 0x80 && r < 0xa0: // C1 controls
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteString(msg[i : i+n])
		}
		i += n
	}
	return b.String()
}

var errHelp = errors.New("help requested")

const usage = `usage:
  mesa                         run the default preset (the talk's green-exit maze)
  mesa run [--preset NAME | --config FILE] [--out DIR] [--set PATH=VALUE]... [--workers N]
           [--seeds N] [--log-steps] [--shard I/N] [--overwrite] [--quiet]
           [--cpuprofile FILE] [--memprofile FILE]
  mesa sweep --config FILE --out DIR [--shard I/N] [--set PATH=VALUE]... [--dry-run]
  mesa sweep plan --config FILE [--out DIR]
  mesa presets [--format text|csv|json]   list presets with one line each
  mesa export DIR --format parquet|csv [--out DIR] [--partial]
  mesa analyze DIR... [--out DIR] [--partial] [--no-figures] [--quiet]
               [--format text|csv|json] [--references] [--all-metrics]
  mesa render --level FILE [--png FILE]
  mesa render --run DIR --agent ID --split S [--episode K] [--point P] [--png FILE]
  mesa deception [--train T] [--deploy D] [--modify P] [--format text|csv|json]
  mesa version
`

// run is mesa without the process: it parses args, does the work, and
// writes to stdout and stderr. Errors in the arguments are usageErrors; a
// command stopped by a signal (the cause of ctx) returns a stopError.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	name := "run"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		name = args[0]
		if name == "sweep" && len(args) > 1 && args[1] == "plan" {
			name = "sweep plan"
		}
	}
	return stopped(ctx, name, dispatch(ctx, args, stdout, stderr), "")
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return runCmd(ctx, nil, stdout, stderr)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runCmd(ctx, rest, stdout, stderr)
	case "sweep":
		return sweepCmd(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		if len(rest) > 0 {
			return usagef("version: unexpected argument %q", rest[0])
		}
		fmt.Fprintln(stdout, version())
		return nil
	case "presets":
		return presetsCmd(rest, stdout, stderr)
	case "export":
		return exportCmd(ctx, rest, stdout, stderr)
	case "render":
		return renderCmd(ctx, rest, stdout, stderr)
	case "analyze":
		return analyzeCmd(ctx, rest, stdout, stderr)
	case "deception":
		return deceptionCmd(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		reg := registryOf(ctx)
		fmt.Fprintf(stdout, "\nfamilies (config families[].name): %s\noptimizers (config optimizers[].name): %s\n",
			strings.Join(reg.FamilyNames(), ", "), strings.Join(reg.OptimizerNames(), ", "))
		return nil
	}
	if len(cmd) > 0 && cmd[0] == '-' {
		// Flags without a command belong to `run`.
		return runCmd(ctx, args, stdout, stderr)
	}
	return usagef("unknown command %q\n%s", cmd, usage)
}

// version describes the build: the module version, the VCS revision and
// time when built from a checkout, and the Go version.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "mesa (unknown build)"
	}
	v := "mesa " + bi.Main.Version
	var rev, at, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = ", modified"
			}
		}
	}
	if rev != "" {
		v += fmt.Sprintf(" (%.12s %s%s)", rev, at, dirty)
	}
	return v + " " + bi.GoVersion
}
