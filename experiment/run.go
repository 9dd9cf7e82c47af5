package experiment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/names"
	"github.com/mesa-alignment/mesa/train"
)

// Options control how a run is executed; none of them changes its results.
type Options struct {
	// Out is the run directory.
	Out string
	// Workers is the number of goroutines; 0 means GOMAXPROCS, with no
	// more units at once than the machine's memory holds by their
	// estimate (more, asked for explicitly, is an error). Output is
	// byte-identical for any value.
	Workers int
	// Overwrite removes a run already in Out first; without it the same
	// config continues the run in Out and another config is refused.
	Overwrite bool
	// Timing records wall-clock times in the training table; they differ
	// between runs, so files are then no longer byte-identical.
	Timing bool
	// Compression of the Arrow files; "" means none.
	Compression data.Compression
	// Shard, if Count > 1, runs only the units of shard Index of Count
	// (Plan.Shard) and does not merge: shards run into one directory
	// concurrently, and a run without a shard merges them.
	Shard Shard
	// Progress, if not nil, is told what the run does.
	Progress Progress
	// Holder names what this process runs in the directory's lock, as
	// "mesa sweep --shard 1/4"; "" means the process's command line.
	Holder string
}

// A Shard is one slice of a plan's units: Index in [0, Count).
type Shard struct{ Index, Count int }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Progress is told what a run does. Its methods may be called from several
// goroutines, never at once.
type Progress interface {
	// Start is called once the plan is known: total units in the plan,
	// todo those this process runs, done those found complete.
	Start(p *Plan, todo []Unit, done int)
	// UnitDone is called as each unit of todo completes.
	UnitDone(u Unit, s UnitStats)
	// Merged is called when the run's tables are written.
	Merged(dir string)
}

// UnitStats describe a completed unit.
type UnitStats struct {
	// EnvSteps is the unit's training budget spent (0 for references).
	EnvSteps int
	Elapsed  time.Duration
}

// A Result locates a run.
type Result struct {
	RunID string
	Dir   string
	// Complete reports that the run's tables are merged: false for a
	// shard, or while other shards' units are missing.
	Complete bool
	// Units and Done count the plan's units and those complete.
	Units, Done int
}

// ResolvedYAML returns the config with presets expanded and defaults filled,
// as stored with a run.
func (c *Config) ResolvedYAML() ([]byte, error) {
	return yaml.Marshal(c)
}

// RunID returns the id of c's run: its name and a hash of its resolved
// config, so that equal configs get equal ids.
func (c *Config) RunID() (string, error) {
	b, err := c.ResolvedYAML()
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return fmt.Sprintf("%s-%s", c.Name, hex.EncodeToString(h[:4])), nil
}

// holder describes this process for the directory's lock.
func holder(what string) string {
	if what == "" {
		return data.ProcessHolder()
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("pid %d on host %s (%s) since %s", os.Getpid(), host, what, time.Now().UTC().Format(time.RFC3339))
}

// unitsDir is the directory of a run's units.
const unitsDir = names.UnitsDir

// Run runs c into the directory opts.Out: it writes the plan, runs every
// unit not already complete there (of the shard, if opts.Shard is set),
// each into a directory of its own, and, unless sharded, merges the units
// into the run's tables. Each unit is written as a temporary directory and
// renamed when complete, so a killed run leaves complete units and
// leftovers that the next Run on the directory removes; the run's tables are
// merged from the units in canonical order, so their bytes never depend on
// workers, shards or the order in which units finished. The same config on
// the same directory continues the run; another config is refused.
func Run(ctx context.Context, c *Config, opts Options) (*Result, error) {
	plan, err := NewPlan(c)
	if err != nil {
		return nil, err
	}
	dir := opts.Out
	// Nothing is written into a directory that is not empty and not a
	// mesa run, with or without --overwrite: not even a lock file.
	if err := data.CheckRunDir(dir); err != nil {
		return nil, err
	}
	sharded := opts.Shard.Count > 1
	mode := data.LockExclusive
	if sharded && !opts.Overwrite {
		mode = data.LockShared // the shards of one plan write disjoint units
	}
	lock, err := data.Lock(dir, mode, holder(opts.Holder))
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	if opts.Overwrite {
		if err := data.RemoveRun(dir); err != nil {
			return nil, err
		}
	}
	if err := plan.claim(lock); err != nil {
		return nil, err
	}
	units := plan.Units
	if sharded {
		units = plan.Shard(opts.Shard.Index, opts.Shard.Count)
	}
	var todo []Unit
	done := 0
	for _, u := range plan.Units {
		if done == 0 && merged(dir, plan) {
			done = len(plan.Units) // merged, its units removed (record.units keeps them)
			break
		}
		if plan.complete(dir, u) {
			done++
		} else if slices.ContainsFunc(units, func(v Unit) bool { return v.Index == u.Index }) {
			todo = append(todo, u)
		}
	}
	if opts.Progress != nil {
		opts.Progress.Start(plan, todo, done)
	}
	if err := runUnits(ctx, plan, lock, todo, opts); err != nil {
		return nil, err
	}
	done += len(todo)
	res := &Result{RunID: plan.RunID, Dir: dir, Units: len(plan.Units), Done: done}
	if sharded {
		return res, nil
	}
	if done < len(plan.Units) {
		return nil, fmt.Errorf("run: %d of %d units are missing", len(plan.Units)-done, len(plan.Units))
	}
	if !merged(dir, plan) {
		if err := merge(ctx, plan, lock, opts); err != nil {
			return nil, err
		}
	}
	if !c.Record.Units {
		// The merged tables hold every row of every unit.
		if err := lock.RemoveUnits(plan.RunID); err != nil {
			return nil, fmt.Errorf("run: %w", err)
		}
	}
	if opts.Progress != nil {
		opts.Progress.Merged(dir)
	}
	res.Complete = true
	return res, nil
}

// UnitComplete reports whether unit u of p is complete in the run
// directory dir: its manifest says so, every file matches its checksum,
// and it is a unit of p (its run id and its point's config), not of
// another plan.
func (p *Plan) UnitComplete(dir string, u Unit) bool { return p.complete(dir, u) }

// Merged reports whether dir holds the complete, merged tables of plan (its
// units may be gone).
func Merged(dir string, plan *Plan) bool { return merged(dir, plan) }

// A unit or a merged run written by a mesa of another data schema is not
// complete: the same config may give other numbers there (schema 7 changed
// the planner's default horizon), so it is run again rather than mixed in.
func (p *Plan) complete(dir string, u Unit) bool {
	m, err := data.VerifyRun(filepath.Join(dir, unitsDir, u.Dir()))
	if err != nil || m.Status != data.StatusComplete || m.RunID != p.RunID || m.SchemaVersion != data.SchemaVersion {
		return false
	}
	c, err := p.Config.Point(u.Point)
	return err == nil && m.Config == string(resolvedPointYAML(c))
}

// merged reports whether dir's tables are the merged units of plan.
func merged(dir string, p *Plan) bool {
	m, err := data.VerifyRun(dir)
	if err != nil || m.Status != data.StatusComplete || m.RunID != p.RunID || m.SchemaVersion != data.SchemaVersion {
		return false
	}
	cfg, err := p.Config.ResolvedYAML()
	return err == nil && m.Config == string(cfg)
}

// runUnits runs the units of todo, several at once: units are independent
// and each is deterministic, so the order in which they finish changes no
// byte. With at least as many units as workers, each unit runs on one
// goroutine (cheaper than splitting a unit's small batches); with fewer, the
// workers are shared among them. No more units run at once than the
// machine's memory holds (unitsAtOnce).
func runUnits(ctx context.Context, plan *Plan, lock *data.DirLock, todo []Unit, opts Options) error {
	if len(todo) == 0 {
		return nil
	}
	todo = longestFirst(plan, todo)
	workers := train.Workers(opts.Workers)
	concurrent, err := unitsAtOnce(plan.Config, opts.Workers, len(todo))
	if err != nil {
		return err
	}
	inner := max(1, workers/concurrent)
	var mu sync.Mutex
	return train.Parallel(ctx, concurrent, len(todo), func(_, i int) error {
		u := todo[i]
		start := time.Now()
		steps, err := runUnit(ctx, plan, lock, u, inner, opts)
		if err != nil {
			return err
		}
		if opts.Progress != nil {
			mu.Lock()
			opts.Progress.UnitDone(u, UnitStats{EnvSteps: steps, Elapsed: time.Since(start)})
			mu.Unlock()
		}
		return nil
	})
}

// runUnit runs u into a temporary directory of the run directory lock
// holds (recorded in the lock's journal, so that if this process dies the
// next one removes it) and gives it its name under units/ when complete.
// It returns the unit's training steps.
func runUnit(ctx context.Context, plan *Plan, lock *data.DirLock, u Unit, workers int, opts Options) (int, error) {
	c, err := plan.Config.Point(u.Point)
	if err != nil {
		return 0, fmt.Errorf("unit %s: %w", u.ID(), err)
	}
	info, err := plan.runInfo(u.Point)
	if err != nil {
		return 0, fmt.Errorf("unit %s: %w", u.ID(), err)
	}
	w, err := lock.CreateUnit(u.Dir(), info, data.Options{
		Steps: c.Record.Steps, Curriculum: c.Train.Curriculum.Name != "", OmitTiming: !opts.Timing, Compression: opts.Compression,
	})
	if err != nil {
		return 0, err
	}
	r := &unitRun{c: c, runID: plan.RunID, u: u, w: w, workers: workers}
	err = plan.setPoint(w, u.Point)
	if err == nil {
		err = r.run(ctx)
	}
	if err == nil {
		err = w.Close()
	}
	if err == nil {
		err = lock.CommitUnit(w)
	}
	if err != nil {
		lock.Discard(w, err)
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, fmt.Errorf("unit %s: %w", u.ID(), err)
	}
	return r.envSteps, nil
}

// params returns the swept paths as the tables' parameter columns: numeric
// when every value is a number.
func (p *Plan) params() []data.Param {
	var out []data.Param
	for _, sp := range p.Config.Sweep {
		numeric := true
		for _, v := range sp.Values {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				numeric = false
			}
		}
		out = append(out, data.Param{Path: sp.Path, Numeric: numeric})
	}
	return out
}

// points returns every sweep point with its values, for the manifest.
func (p *Plan) points() []data.PointInfo {
	if len(p.Config.Sweep) == 0 {
		return nil
	}
	out := make([]data.PointInfo, p.Points)
	for k := range out {
		vs := p.Config.Sweep.values(k)
		out[k] = data.PointInfo{Index: k, Values: map[string]string{}}
		for i, sp := range p.Config.Sweep {
			out[k].Values[sp.Path] = vs[i]
		}
	}
	return out
}

// setPoint stamps the rows w appends next with point k's values.
func (p *Plan) setPoint(w *data.Writer, k int) error {
	if len(p.Config.Sweep) == 0 {
		return nil
	}
	return w.SetPoint(k, p.Config.Sweep.values(k))
}

// runInfo returns the provenance of point k's unit files; with k < 0, of
// the merged tables (the config as given, every point's names). Both carry
// every point, so that their parameter columns are alike.
func (p *Plan) runInfo(k int) (data.RunInfo, error) {
	first, end := 0, p.Points
	cfg, _ := p.Config.ResolvedYAML()
	if k >= 0 {
		first, end = k, k+1
	}
	info := data.RunInfo{RunID: p.RunID, RootSeed: p.Config.Seed, Versions: data.BuildVersions(),
		Params: p.params(), Points: p.points()}
	for j := first; j < end; j++ {
		c, err := p.Config.Point(j)
		if err != nil {
			return data.RunInfo{}, err
		}
		if k >= 0 {
			cfg = resolvedPointYAML(c)
		}
		info.Families = append(info.Families, c.Reference...)
		for _, r := range c.Reference {
			if s, err := agents.ScriptedByName(r); err == nil {
				info.Families = append(info.Families, s.(*agents.Scripted).Spec())
			}
		}
		for _, o := range c.Optimizers {
			info.Optimizers = append(info.Optimizers, o.Name)
		}
		for _, f := range c.Families {
			info.Families = append(info.Families, f.Name)
		}
		info.Distributions = append(info.Distributions, c.Train.Name, ProbeSplit)
		for _, s := range c.Splits {
			info.Distributions = append(info.Distributions, s.Distribution.Name)
			info.Splits = append(info.Splits, s.Name)
		}
	}
	info.Config = cfg
	sum := p.Config.Summary()
	if k >= 0 {
		c, err := p.Config.Point(k)
		if err != nil {
			return data.RunInfo{}, err
		}
		sum = c.Summary()
	}
	b, err := json.Marshal(sum)
	if err != nil {
		return data.RunInfo{}, err
	}
	info.Summary = b
	return info, nil
}
