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
// Exit codes: 0 success, 1 failure, 2 usage, 128+n stopped by signal n.
// SIGINT, SIGTERM and SIGHUP stop any command within a second, leaving
// complete files only, and say so on stderr; the same command continues a
// stopped run. A second signal stops at once.
package main

import (
	"os"

	"github.com/mesa-alignment/mesa/cli"
	"github.com/mesa-alignment/mesa/experiment"
)

func main() { os.Exit(cli.Run(experiment.NewRegistry())) }
