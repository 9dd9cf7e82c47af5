package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/experiment"
	"github.com/mesa-alignment/mesa/report"
	"github.com/mesa-alignment/mesa/stats"
	"github.com/mesa-alignment/mesa/world"
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

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

// runFlags are the flags run and sweep share.
type runFlags struct {
	out       *string
	workers   *int
	set       stringList
	shard     *string
	overwrite *bool
	timing    *bool
	quiet     *bool
	cpuProf   *string
	memProf   *string
	print     *printFlags
}

func addRunFlags(fs flagSet) *runFlags {
	f := &runFlags{
		out:       fs.String("out", "", "run `directory` (run: default runs/<name>)"),
		workers:   fs.Int("workers", 0, "worker goroutines (0: all CPUs); results do not depend on it"),
		shard:     fs.String("shard", "", "run only shard `I/N` of the units, without merging (default: from SLURM_ARRAY_TASK_ID/COUNT or JOB_COMPLETION_INDEX with MESA_SHARD_COUNT)"),
		overwrite: fs.Bool("overwrite", false, "remove the run already in the directory first"),
		timing:    fs.Bool("timing", false, "record wall-clock times in training.arrow (files then differ between runs)"),
		quiet:     fs.Bool("quiet", false, "no progress on stderr"),
		cpuProf:   fs.String("cpuprofile", "", "write a CPU profile of the run to `file` (go tool pprof reads it)"),
		memProf:   fs.String("memprofile", "", "write a heap profile (allocations, and what is live at the end) to `file`"),
	}
	f.print = addPrintFlags(fs)
	fs.Var(&f.set, "set", "override a config field: `path=value`, e.g. train.randomize=0.1 (repeatable)")
	return f
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	preset := fs.String("preset", experiment.DefaultPreset, "experiment `preset` (see mesa presets)")
	configFile := fs.String("config", "", "experiment config `file` (YAML); overrides --preset")
	nSeeds := fs.Int("seeds", 0, "training seeds per optimizer and family (0: the config's)")
	logSteps := fs.Bool("log-steps", false, "also write steps.arrow, one row per environment step (record.steps)")
	rf := addRunFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("run: unexpected argument %q", fs.Arg(0))
	}
	if *nSeeds < 0 {
		return usagef("run: --seeds %d must be >= 0", *nSeeds)
	}
	if *nSeeds > 0 {
		rf.set = append(rf.set, fmt.Sprintf("seeds=%d", *nSeeds))
	}
	if *logSteps {
		rf.set = append(rf.set, "record.steps=true")
	}
	cfg, err := loadConfig(ctx, *configFile, *preset, rf.set)
	if err != nil {
		return err
	}
	return execute(ctx, "run", cfg, rf, args, stdout, stderr)
}

func sweepCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	planOnly := len(args) > 0 && args[0] == "plan"
	if planOnly {
		args = args[1:]
	}
	fs := newFlags("sweep", stderr)
	configFile := fs.String("config", "", "experiment config `file` (YAML) with a sweep: block")
	dryRun := fs.Bool("dry-run", planOnly, "list the units and what is done, run nothing (same as mesa sweep plan)")
	rf := addRunFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("sweep: unexpected argument %q", fs.Arg(0))
	}
	if *configFile == "" {
		return usagef("sweep: give --config FILE")
	}
	cfg, err := loadConfig(ctx, *configFile, "", rf.set)
	if err != nil {
		return err
	}
	if *dryRun {
		popts, err := rf.print.options("sweep plan", stdout)
		if err != nil {
			return err
		}
		return printPlan(ctx, cfg, *rf.out, popts.Format, stdout)
	}
	if *rf.out == "" {
		return usagef("sweep: give --out DIR (the directory every shard and the merge share)")
	}
	return execute(ctx, "sweep", cfg, rf, args, stdout, stderr)
}

// loadConfig reads the config file (or the preset when file is ""), with
// overrides.
func loadConfig(ctx context.Context, file, preset string, set []string) (*experiment.Config, error) {
	if file == "" {
		text, err := experiment.PresetText(preset)
		if err != nil {
			return nil, usageError{err}
		}
		cfg, err := registryOf(ctx).ParseContext(ctx, bytes.NewReader(text), set)
		if err != nil {
			return nil, fmt.Errorf("preset %s: %w", preset, err)
		}
		return cfg, nil
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, err := registryOf(ctx).ParseContext(ctx, f, set)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return cfg, nil
}

// execute runs cfg as the run and sweep commands do, and prints its tables
// when the run is complete.
func execute(ctx context.Context, cmd string, cfg *experiment.Config, rf *runFlags, args []string, stdout, stderr io.Writer) error {
	if *rf.workers < 0 {
		return usagef("%s: --workers %d must be >= 0", cmd, *rf.workers)
	}
	shard, err := parseShard(*rf.shard, os.Getenv)
	if err != nil {
		return usagef("%s: %v", cmd, err)
	}
	popts, err := rf.print.options(cmd, stdout)
	if err != nil {
		return err
	}
	dir := *rf.out
	if dir == "" {
		dir = filepath.Join("runs", cfg.Name)
	}
	var progress experiment.Progress
	if !*rf.quiet {
		progress = newProgress(stderr)
	}
	stopProfiles, err := startProfiles(*rf.cpuProf, *rf.memProf)
	if err != nil {
		return err
	}
	res, err := experiment.Run(ctx, cfg, experiment.Options{
		Out: dir, Workers: *rf.workers, Overwrite: *rf.overwrite, Timing: *rf.timing,
		Shard: shard, Progress: progress, Holder: strings.Join(append([]string{"mesa", cmd}, args...), " "),
	})
	if perr := stopProfiles(); err == nil {
		err = perr
	}
	if err != nil {
		if ctx.Err() != nil {
			left := "the same command continues the run in " + dir
			var s *stopError
			if errors.As(stopped(ctx, cmd, context.Canceled, left), &s) {
				return s
			}
			return fmt.Errorf("%s: interrupted; %s", cmd, left)
		}
		return err
	}
	if !res.Complete {
		fmt.Fprintf(stdout, "run %s: shard %s done; %d of %d units complete in %s\n", res.RunID, shard, res.Done, res.Units, res.Dir)
		return nil
	}
	return printRun(ctx, res, popts, stdout)
}

// printRun prints a complete run's tables, as mesa analyze does: the
// headline first, every share a mean over training seeds with its
// interval over seeds.
func printRun(ctx context.Context, res *experiment.Result, opts report.PrintOptions, stdout io.Writer) error {
	st, err := report.Load([]string{res.Dir}, report.Options{Context: ctx, Registry: registryOf(ctx)})
	if err != nil {
		return err
	}
	return printStudy(st, opts, stdout, fmt.Sprintf("run %s in %s (mesa analyze %s writes report.md with figures)", res.RunID, res.Dir, res.Dir))
}

// printPlan lists the units of cfg, marking those complete in dir. It
// writes as it goes, in columns aligned as text/tabwriter would align them
// (tabwriter would hold every line until the end), allocating next to
// nothing per unit (a plan may hold a million), and stops when ctx is done.
//
// In format csv it writes the columns unit, point, status; in json an
// object {"run_id", "points", "units": [{"unit", "point", "status"}]}:
// neither has the text's summary lines.
func printPlan(ctx context.Context, cfg *experiment.Config, dir, format string, stdout io.Writer) error {
	plan, err := experiment.NewPlan(cfg)
	if err != nil {
		return err
	}
	if dir != "" {
		// A unit is complete for this plan only if the directory is this
		// plan's run: as sweep refuses another run's directory, so does
		// its plan.
		if err := plan.Check(dir); err != nil {
			return err
		}
	}
	var id []byte
	unitID := func(u experiment.Unit) []byte {
		id = append(id[:0], 'p')
		id = strconv.AppendInt(id, int64(u.Point), 10)
		if u.Scripted() {
			id = append(append(id, "/none/"...), u.Family...)
		} else {
			id = append(append(append(append(id, '/'), u.Optimizer...), '/'), u.Family...)
			id = strconv.AppendInt(append(id, "/s"...), int64(u.Seed), 10)
		}
		return id
	}
	const pad = 2
	unitW, pointW := len("unit"), len("point")
	for _, u := range plan.Units {
		unitW = max(unitW, utf8.RuneCount(unitID(u)))
	}
	var label []byte
	for k := range plan.Points {
		label = cfg.Sweep.AppendValues(label[:0], k)
		pointW = max(pointW, utf8.RuneCount(label))
	}
	w := bufio.NewWriter(stdout)
	spaces := []byte(strings.Repeat(" ", max(unitW, pointW)+pad))
	cell := func(s []byte, width int) {
		w.Write(s)
		w.Write(spaces[:width+pad-utf8.RuneCount(s)])
	}
	emit := func(unit, point []byte, status string) {
		cell(unit, unitW)
		cell(point, pointW)
		w.WriteString(status)
		w.WriteByte('\n')
	}
	flushCSV := func() {}
	switch format {
	case stats.FormatCSV:
		cw := csv.NewWriter(w)
		emit = func(unit, point []byte, status string) { cw.Write([]string{string(unit), string(point), status}) }
		flushCSV = cw.Flush
		cw.Write([]string{"unit", "point", "status"})
	case stats.FormatJSON:
		first := true
		emit = func(unit, point []byte, status string) {
			if !first {
				w.WriteByte(',')
			}
			first = false
			b, _ := json.Marshal(struct {
				Unit   string `json:"unit"`
				Point  string `json:"point"`
				Status string `json:"status"`
			}{string(unit), string(point), status})
			w.WriteString("\n  ")
			w.Write(b)
		}
		id, _ := json.Marshal(plan.RunID)
		fmt.Fprintf(w, "{\"run_id\": %s, \"points\": %d, \"units\": [", id, plan.Points)
	default:
		fmt.Fprintf(w, "run %s: %d sweep points, %d units\n", plan.RunID, plan.Points, len(plan.Units))
		emit([]byte("unit"), []byte("point"), "status")
	}
	done := 0
	all := dir != "" && experiment.Merged(dir, plan)
	point := -1
	for _, u := range plan.Units {
		if err := ctx.Err(); err != nil {
			w.Flush()
			return err
		}
		status := "to do"
		if all || dir != "" && plan.UnitComplete(dir, u) {
			status = "complete"
			done++
		}
		if u.Point != point {
			point, label = u.Point, cfg.Sweep.AppendValues(label[:0], u.Point)
		}
		emit(unitID(u), label, status)
	}
	switch {
	case format == stats.FormatJSON:
		w.WriteString("\n]}\n")
	case format == stats.FormatCSV:
		flushCSV()
	case dir != "":
		fmt.Fprintf(w, "%d of %d complete in %s\n", done, len(plan.Units), dir)
	}
	return w.Flush()
}

// parseShard reads a shard "I/N" from the flag, or else from the
// environment of a Slurm array task (SLURM_ARRAY_TASK_ID counted from
// SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT) or a Kubernetes Indexed
// Job (JOB_COMPLETION_INDEX, of MESA_SHARD_COUNT). No shard is Count 0.
func parseShard(flag string, env func(string) string) (experiment.Shard, error) {
	num := func(name, s string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s %q is not a count", name, s)
		}
		return n, nil
	}
	var sh experiment.Shard
	var err error
	switch {
	case flag != "":
		i, n, ok := strings.Cut(flag, "/")
		if !ok {
			return sh, fmt.Errorf("--shard %q: want I/N, e.g. 0/4", flag)
		}
		if sh.Index, err = num("--shard", i); err != nil {
			return sh, err
		}
		if sh.Count, err = num("--shard", n); err != nil {
			return sh, err
		}
	case env("SLURM_ARRAY_TASK_ID") != "":
		if sh.Index, err = num("SLURM_ARRAY_TASK_ID", env("SLURM_ARRAY_TASK_ID")); err != nil {
			return sh, err
		}
		if m := env("SLURM_ARRAY_TASK_MIN"); m != "" {
			min, err := num("SLURM_ARRAY_TASK_MIN", m)
			if err != nil {
				return sh, err
			}
			sh.Index -= min
		}
		if sh.Count, err = num("SLURM_ARRAY_TASK_COUNT", env("SLURM_ARRAY_TASK_COUNT")); err != nil {
			return sh, err
		}
	case env("JOB_COMPLETION_INDEX") != "":
		if sh.Index, err = num("JOB_COMPLETION_INDEX", env("JOB_COMPLETION_INDEX")); err != nil {
			return sh, err
		}
		if sh.Count, err = num("MESA_SHARD_COUNT", env("MESA_SHARD_COUNT")); err != nil {
			return sh, fmt.Errorf("%v (a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX; set MESA_SHARD_COUNT to its completions)", err)
		}
	default:
		return sh, nil
	}
	if sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count {
		return sh, fmt.Errorf("shard %d/%d: want 0 <= I < N", sh.Index, sh.Count)
	}
	if sh.Count == 1 {
		return experiment.Shard{}, nil
	}
	return sh, nil
}

func presetsCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("presets", stderr)
	format := fs.String("format", stats.FormatText, "`format`: "+strings.Join(stats.Formats(), ", "))
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("presets: unexpected argument %q", fs.Arg(0))
	}
	pf := &printFlags{format: format, references: new(bool), allMetrics: new(bool)}
	opts, err := pf.options("presets", stdout)
	if err != nil {
		return err
	}
	ex := &stats.Table{Title: "Experiments (mesa run --preset NAME)", Header: []string{"preset", "what it runs"}, Width: opts.Width}
	for _, n := range experiment.PresetNames() {
		name := n
		if n == experiment.DefaultPreset {
			name += " (default)"
		}
		ex.AddRow(name, experiment.PresetSummary(n))
	}
	ld := &stats.Table{Title: "Level distributions (train: {preset: NAME} in a config)", Header: []string{"distribution", "levels"}, Width: opts.Width}
	for _, n := range world.PresetNames() {
		ld.AddRow(n, world.PresetDoc(n))
	}
	return stats.WriteTables(stdout, opts.Format, []*stats.Table{ex, ld})
}

func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
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
	// "" exports into DIR/parquet or DIR/csv, never through a symbolic
	// link there.
	opts := &data.ExportOptions{Partial: *partial, ReadOptions: data.ReadOptions{Context: ctx}}
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
