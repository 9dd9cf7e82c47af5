// Command mesa runs inner-alignment experiments: it trains agents with
// evolution or gradient descent on mazes whose exit is always green and
// always bottom-right, deploys them where that is no longer true, and
// records which objective they pursue.
//
//	mesa                       same as `mesa run` on the default preset
//	mesa run [--preset NAME | --config FILE] [--out DIR] [--workers N] [--seeds N] [--log-steps]
//	mesa presets               list presets with one line each
//	mesa export DIR --format parquet|csv [--out DIR] [--partial]
//	mesa render --level FILE
//
// Exit codes: 0 success, 1 failure, 2 usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
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
  mesa run [--preset NAME | --config FILE] [--out DIR] [--workers N] [--seeds N] [--log-steps]
  mesa presets                 list presets with one line each
  mesa export DIR --format parquet|csv [--out DIR] [--partial]
  mesa render --level FILE
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
	case "presets":
		return presetsCmd(rest, stdout)
	case "export":
		return exportCmd(rest, stdout, stderr)
	case "render":
		return renderCmd(rest, stdout, stderr)
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
