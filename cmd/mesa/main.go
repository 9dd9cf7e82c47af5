// Command mesa runs inner-alignment experiments: it trains agents with
// evolution or gradient descent on mazes whose exit is always green and
// always bottom-right, deploys them where that is no longer true, and
// records which objective they pursue.
//
//	mesa                       same as `mesa run` on the default preset
//	mesa run [--preset NAME | --config FILE] [--out DIR] [--set PATH=VALUE]... [--workers N] [--seeds N] [--log-steps] [--shard I/N]
//	mesa sweep --config FILE --out DIR [--shard I/N] [--set PATH=VALUE]...
//	mesa sweep plan --config FILE [--out DIR]
//	mesa presets               list presets with one line each
//	mesa export DIR --format parquet|csv [--out DIR] [--partial]
//	mesa render --level FILE [--png FILE]
//	mesa render --run DIR --agent ID --split S [--episode K] [--point P] [--png FILE]
//	mesa version
//
// Exit codes: 0 success, 1 failure, 2 usage. SIGINT and SIGTERM stop a run
// cleanly; the same command continues it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	// SIGTERM is what Slurm, Kubernetes and docker send before SIGKILL.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
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
	fmt.Fprintln(stderr, "mesa:", err)
	var u usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

var errHelp = errors.New("help requested")

const usage = `usage:
  mesa                         run the default preset (the talk's green-exit maze)
  mesa run [--preset NAME | --config FILE] [--out DIR] [--set PATH=VALUE]... [--workers N]
           [--seeds N] [--log-steps] [--shard I/N] [--overwrite] [--quiet]
           [--cpuprofile FILE] [--memprofile FILE]
  mesa sweep --config FILE --out DIR [--shard I/N] [--set PATH=VALUE]... [--dry-run]
  mesa sweep plan --config FILE [--out DIR]
  mesa presets                 list presets with one line each
  mesa export DIR --format parquet|csv [--out DIR] [--partial]
  mesa analyze DIR... [--out DIR] [--partial] [--no-figures] [--quiet]
  mesa render --level FILE [--png FILE]
  mesa render --run DIR --agent ID --split S [--episode K] [--point P] [--png FILE]
  mesa deception [--train T] [--deploy D] [--modify P]
  mesa version
`

// run is mesa without the process: it parses args, does the work, and
// writes to stdout and stderr. Errors in the arguments are usageErrors.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
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
		return presetsCmd(rest, stdout)
	case "export":
		return exportCmd(rest, stdout, stderr)
	case "render":
		return renderCmd(rest, stdout, stderr)
	case "analyze":
		return analyzeCmd(rest, stdout, stderr)
	case "deception":
		return deceptionCmd(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
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
