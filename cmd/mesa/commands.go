package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"mesa/analysis"
	"mesa/data"
	"mesa/experiment"
	"mesa/world"
)

// flagSet is a flag set that reports errors through run's return value
// rather than printing and exiting, and prints usage only when asked (-h).
type flagSet struct {
	*flag.FlagSet
	stderr io.Writer
}

func newFlags(name string, stderr io.Writer) flagSet {
	fs := flag.NewFlagSet("mesa "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // the flag package calls it on every parse error
	return flagSet{fs, stderr}
}

func parseFlags(fs flagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(fs.stderr, "usage of %s:\n", fs.Name())
			fs.SetOutput(fs.stderr)
			fs.PrintDefaults()
			return errHelp
		}
		return usagef("%s: %v (see %s -h)", strings.TrimPrefix(fs.Name(), "mesa "), err, fs.Name())
	}
	return nil
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	preset := fs.String("preset", experiment.DefaultPreset, "experiment `preset` (see mesa presets)")
	configFile := fs.String("config", "", "experiment config `file` (YAML); overrides --preset")
	out := fs.String("out", "", "run `directory` (default runs/<name>)")
	workers := fs.Int("workers", 0, "worker goroutines (0: all CPUs); results do not depend on it")
	nSeeds := fs.Int("seeds", 0, "training seeds per optimizer and family (0: the config's)")
	logSteps := fs.Bool("log-steps", false, "also write steps.arrow, one row per environment step")
	overwrite := fs.Bool("overwrite", false, "replace a run already in the directory")
	timing := fs.Bool("timing", false, "record wall-clock times in training.arrow (files then differ between runs)")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("run: unexpected argument %q", fs.Arg(0))
	}
	if *workers < 0 {
		return usagef("run: --workers %d must be >= 0", *workers)
	}
	if *nSeeds < 0 {
		return usagef("run: --seeds %d must be >= 0", *nSeeds)
	}
	var cfg *experiment.Config
	var err error
	if *configFile != "" {
		f, ferr := os.Open(*configFile)
		if ferr != nil {
			return ferr
		}
		cfg, err = experiment.Parse(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", *configFile, err)
		}
	} else if cfg, err = experiment.Preset(*preset); err != nil {
		return usageError{err}
	}
	if *nSeeds > 0 {
		cfg.Seeds = *nSeeds
		if err := cfg.Resolve(); err != nil {
			return err
		}
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("runs", cfg.Name)
	}
	var progress io.Writer
	if !*quiet {
		progress = stderr
	}
	res, err := experiment.Run(ctx, cfg, experiment.Options{
		Out: dir, Workers: *workers, LogSteps: *logSteps, Overwrite: *overwrite, Timing: *timing, Progress: progress,
	})
	if err != nil {
		return err
	}
	tab, err := analysis.Outcomes(res.Dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "run %s in %s\n\n", res.RunID, res.Dir)
	if err := tab.Print(stdout); err != nil {
		return err
	}
	if !cfg.Probe.Off {
		atts, err := analysis.Attributions(res.Dir)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout)
		if err := analysis.PrintAttributions(stdout, atts); err != nil {
			return err
		}
	}
	objs, err := analysis.Objectives(res.Dir)
	if err != nil {
		return err
	}
	if len(objs) > 0 {
		fmt.Fprintln(stdout)
		return analysis.PrintObjectives(stdout, objs, 4)
	}
	return nil
}

func presetsCmd(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return usagef("presets: unexpected argument %q", args[0])
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "experiments (mesa run --preset NAME)")
	for _, n := range experiment.PresetNames() {
		def := ""
		if n == experiment.DefaultPreset {
			def = " (default)"
		}
		fmt.Fprintf(tw, "  %s%s\t%s\n", n, def, experiment.PresetSummary(n))
	}
	fmt.Fprintln(tw, "level distributions (train: {preset: NAME} in a config)")
	for _, n := range world.PresetNames() {
		fmt.Fprintf(tw, "  %s\t%s\n", n, world.PresetDoc(n))
	}
	return tw.Flush()
}

func exportCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("export", stderr)
	format := fs.String("format", "parquet", "output `format`: parquet or csv")
	out := fs.String("out", "", "output `directory` (default DIR/parquet or DIR/csv)")
	partial := fs.Bool("partial", false, "export the finished tables of a partial (killed, interrupted or failed) run, as <table>.partial.parquet|csv")
	// Allow `mesa export DIR --format csv` as well as flags first.
	var dir string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		dir, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if dir == "" && fs.NArg() > 0 {
		dir = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usagef("export: unexpected argument %q", fs.Arg(0))
	}
	if dir == "" {
		return usagef("export: give the run directory: mesa export DIR --format parquet|csv [--partial]")
	}
	if *out == "" {
		*out = filepath.Join(dir, *format)
	}
	opts := &data.ExportOptions{Partial: *partial}
	var files []string
	var err error
	switch *format {
	case "parquet":
		files, err = data.ExportParquet(dir, *out, opts)
	case "csv":
		files, err = data.ExportCSV(dir, *out, opts)
	default:
		return usagef("export: --format %q: want parquet or csv", *format)
	}
	if errors.Is(err, data.ErrPartial) {
		return fmt.Errorf("%w (mesa export --partial exports its finished tables)", err)
	}
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	if m, err := data.ReadManifest(dir); err == nil && m.Status != data.StatusComplete {
		fmt.Fprintf(stderr, "mesa: export: %s: run %s is %s: exported its %d finished tables only\n", dir, m.RunID, m.Status, len(files))
	}
	return nil
}

func renderCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("render", stderr)
	levelFile := fs.String("level", "", "level `file` in the text format")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("render: unexpected argument %q", fs.Arg(0))
	}
	if *levelFile == "" {
		return usagef("render: give --level FILE")
	}
	text, err := os.ReadFile(*levelFile)
	if err != nil {
		return err
	}
	l, err := world.Parse(text)
	if err != nil {
		return fmt.Errorf("%s: %w", *levelFile, err)
	}
	_, err = stdout.Write(l.Render(nil))
	return err
}
