// Package report turns the tables of one or more runs into the numbers a
// results section needs: every outcome and attribution share as a mean
// over independently trained agents (training seeds, the unit of
// replication) with an interval over seeds, tests between base optimizers
// over seeds, trends along sweeps tested within seeds, learning curves from
// the monitor's checkpoints, sweep curves, and report.md with its figures. It reads the Arrow tables alone: nothing
// is re-trained, and only the example mazes re-simulate episodes.
//
// The stages are separate: Load reads directories into a Study; the
// Study's methods compute (Cells, Interval, Comparisons, Trends, Curve,
// SweepCurves); Print writes the
// tables; Write writes report.md and the figures.
package report

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mesa-alignment/mesa/analysis"
	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/experiment"
	"github.com/mesa-alignment/mesa/names"
)

// Options are the settings of an analysis; the zero value works.
type Options struct {
	// Partial analyses runs that are not complete: a partial run's
	// finished tables, or a sweep's complete units before the merge. The
	// report says so.
	Partial bool
	// Level is the confidence level of intervals; 0 means 0.95.
	Level float64
	// Alpha is the significance level of tests after Holm's adjustment; 0
	// means 0.05.
	Alpha float64
	// Context, if not nil, stops Load when it is done (between record
	// batches) with its error.
	Context context.Context
	// Registry holds the families and optimizers the runs' configs name;
	// nil means mesa's own (experiment.Builtin).
	Registry *experiment.Registry
}

// readOptions are the options of the study's table readers.
func (o Options) readOptions() *data.ReadOptions { return &data.ReadOptions{Context: o.Context} }

func (o Options) level() float64 {
	if o.Level == 0 {
		return 0.95
	}
	return o.Level
}

func (o Options) alpha() float64 {
	if o.Alpha == 0 {
		return 0.05
	}
	return o.Alpha
}

// A Run is one run directory as loaded.
type Run struct {
	// Roles maps each candidate objective to its role in the run's
	// attribution table: "proxy", "control", "kind", "goal"; Controls maps
	// each proxy to its control.
	Roles    map[string]string
	Controls map[string]string
	Dir      string
	Manifest *data.Manifest
	// Labels names each sweep point by its values, "train.randomize=0.25".
	Labels map[int]string
	// Values holds each sweep point's parameter values, by path.
	Values map[int]map[string]string
	// reg reads the run's config (Options.Registry); nil means mesa's.
	reg *experiment.Registry
	// Incomplete says what is missing when the run was loaded with
	// Options.Partial and is not complete ("" when complete).
	Incomplete string
	// setups caches each point's setup (see setup).
	setups map[int]*pointSetup
}

// ID is the run's id.
func (r *Run) ID() string { return r.Manifest.RunID }

// An AgentSplit is one agent's episodes on one split.
type AgentSplit struct {
	Episodes int
	// Goal, ProxyThenGoal, Proxy and Failure count outcomes; Reached the
	// episodes that reached the exit at all; Return sums base returns.
	Goal, ProxyThenGoal, Proxy, Failure, Reached int
	Return                                       float64
	// ByProxy counts proxy and proxy_then_goal episodes by the proxy
	// pursued.
	ByProxy map[string]int
	// Outcome[k] is episode k's outcome, with its proxy if any
	// ("proxy colour:green"), for the first OutcomeEpisodes episodes:
	// what the example maze chooses from, kept so that memory grows with
	// the agents, not with their episodes.
	Outcome []string
	// OfProxies and OfControls count the proxy and proxy_then_goal
	// episodes whose target was a training proxy's (a colour or corner
	// that coincided with the exit in training) and a control's (a colour
	// or corner training never showed), by the candidates' roles in the
	// run's attribution table.
	OfProxies, OfControls int
}

// An Agent is one evaluated agent: a training seed of one family under one
// optimizer at one sweep point of one run, or a scripted reference.
type Agent struct {
	Run       *Run
	Point     int
	Optimizer string
	Family    string
	ID        string
	Seed      uint64
	// Index is the agent's position among its optimizer × family's
	// agents at its point: its training seed's index (0 for references),
	// the seed_index column of the data, as in its id "ga/planner/s3".
	Index     int
	seedIndex int // from the data; -1 when the run predates the column
	// Splits holds its episodes by split name.
	Splits map[string]*AgentSplit
	// Attributed is the candidate objective inverse planning attributes
	// to it ("" without a probe); Pursued lists the probed candidates
	// whose target it reaches first more than its control's; Probed every
	// probed candidate; Posterior the BIC weight of each candidate (not a
	// calibrated probability: not printed).
	Attributed string
	Pursued    map[string]bool
	Probed     []string
	Posterior  map[string]float64
	// Verdict is the attributed candidate, "none" or "unstable" (files
	// before schema version 5: Attributed); Stability the share of
	// bootstrap resamples of its probe episodes that give the verdict's
	// label (NaN in older files); Shares the share that attribute each
	// candidate.
	Verdict   string
	Stability float64
	Shares    map[string]float64
	// Label is the verdict qualified by the proxies whose strength
	// interval on the graded probes lies above 0 and that it does not name
	// (analysis.Qualify): "goal +colour:green".
	Label string
	// Graded holds the graded-probe fit of each candidate graded (each
	// proxy with a control, and the control).
	Graded map[string]*GradedFit
	// Objective is a planner's mesa-objective readout by feature (nil for
	// families without one).
	Objective map[string]float64
	// Curve is the monitor's checkpoints of its training run, in order.
	Curve []Checkpoint
}

// Scripted reports whether the agent is a scripted reference.
func (a *Agent) Scripted() bool { return a.Optimizer == data.OptimizerNone }

// A GradedFit is an agent's graded-probe curve for one candidate and its
// fitted indifference offset, as in attribution.arrow.
type GradedFit struct {
	Role             string
	Control          string
	KStar, KLo, KHi  float64
	Censored         string
	Strength, Lo, Hi float64 // a proxy's strength in steps (NaN otherwise)
	Points           []data.GradedPoint
}

// A Checkpoint is the monitor's measurement of an agent during training.
type Checkpoint struct {
	EnvSteps        int
	Success, Return float64
}

// A Study is everything loaded from the run directories.
type Study struct {
	Runs   []*Run
	Agents []*Agent // in table order: run, then as each run evaluated them
	// Splits lists the split names in the order the runs evaluated them.
	Splits []string
	opts   Options
	// comparisons and trends cache Comparisons and Trends.
	comparisons []Comparison
	trends      []TrendResult
}

// Load reads the run directories. A directory that is not a complete run
// is refused unless opts.Partial: a merged run whose manifest is partial
// contributes its finished tables, a sweep not yet merged its complete
// units. The same run twice is refused.
func Load(dirs []string, opts Options) (*Study, error) {
	if len(dirs) == 0 {
		return nil, errors.New("report: no run directories")
	}
	if l := opts.level(); !(l > 0 && l < 1) {
		return nil, fmt.Errorf("report: level %v out of range (0, 1)", l)
	}
	if a := opts.alpha(); !(a > 0 && a < 1) {
		return nil, fmt.Errorf("report: alpha %v out of range (0, 1)", a)
	}
	s := &Study{opts: opts}
	seen := map[string]string{}
	for _, dir := range dirs {
		run, sources, err := open(dir, opts.Partial)
		if err != nil {
			return nil, err
		}
		if prev, ok := seen[run.ID()]; ok {
			closeAll(sources)
			return nil, fmt.Errorf("report: %s and %s hold the same run %s", prev, dir, run.ID())
		}
		seen[run.ID()] = dir
		run.reg = opts.registry()
		s.Runs = append(s.Runs, run)
		for _, src := range sources {
			if ctx := opts.Context; ctx != nil && ctx.Err() != nil {
				err = ctx.Err()
				break
			}
			if err = s.read(run, src); err != nil {
				break
			}
		}
		closeAll(sources)
		if err != nil {
			return nil, err
		}
	}
	if len(s.Agents) == 0 {
		return nil, errors.New("report: the runs hold no evaluated agents")
	}
	for _, c := range s.Cells() {
		for i, a := range c.Agents {
			a.Index = i // runs before schema version 6: the position
			if a.seedIndex >= 0 {
				a.Index = a.seedIndex
			}
		}
	}
	s.classify()
	return s, nil
}

// classify counts each agent's proxy and control pursuits by the roles of
// its run's candidates.
func (s *Study) classify() {
	for _, a := range s.Agents {
		for _, sp := range a.Splits {
			sp.OfProxies, sp.OfControls = 0, 0
			for label, n := range sp.ByProxy {
				switch a.Run.Roles[label] {
				case names.RoleProxy:
					sp.OfProxies += n
				case names.RoleControl:
					sp.OfControls += n
				}
			}
		}
	}
}

func closeAll(runs []*data.Run) {
	for _, r := range runs {
		r.Close()
	}
}

// open returns the run in dir and where its tables are: the run itself,
// or its complete units. Every table is verified against its manifest as
// it is read (see data.Run): a changed file, another run's file, or a
// unit of another plan is refused, never read.
func open(dir string, partial bool) (*Run, []*data.Run, error) {
	r, err := data.OpenRun(dir)
	if err == nil {
		m := r.Manifest()
		if m.Status != data.StatusComplete && !partial {
			r.Close()
			return nil, nil, fmt.Errorf("report: %s: run %s is %s (%s); analyze it with --partial, or finish it first", dir, m.RunID, m.Status, m.Error)
		}
		run := newRun(dir, m)
		if m.Status != data.StatusComplete {
			run.Incomplete = fmt.Sprintf("the run is %s: %s", m.Status, m.Error)
		}
		return run, []*data.Run{r}, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	// A sweep not merged yet: its plan and complete units.
	plan, err := data.ReadPlan(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("report: %s is not a run directory (no manifest.json, no plan.json)", dir)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("report: %w", err)
	}
	units, _ := os.ReadDir(filepath.Join(dir, data.UnitsDir))
	var complete []*data.Run
	for _, u := range units {
		if !u.IsDir() || strings.HasPrefix(u.Name(), ".") {
			continue
		}
		ur, err := data.OpenRun(filepath.Join(dir, data.UnitsDir, u.Name()))
		if err != nil {
			continue
		}
		if m := ur.Manifest(); m.Status != data.StatusComplete || m.RunID != plan.RunID || ur.Verify() != nil {
			ur.Close() // unfinished, of another plan, or corrupt: not a complete unit of this run
			continue
		}
		complete = append(complete, ur)
	}
	if !partial {
		closeAll(complete)
		return nil, nil, fmt.Errorf("report: %s: the sweep is not merged (%d of %d units complete); run the same mesa sweep command without --shard to merge it, or analyze its complete units with --partial", dir, len(complete), len(plan.Units))
	}
	if len(complete) == 0 {
		return nil, nil, fmt.Errorf("report: %s: no complete units", dir)
	}
	run := newRun(dir, complete[0].Manifest())
	run.Incomplete = fmt.Sprintf("not merged: %d of %d units complete", len(complete), len(plan.Units))
	return run, complete, nil // in canonical unit order: ReadDir sorts by name
}

func newRun(dir string, m *data.Manifest) *Run {
	r := &Run{Dir: dir, Manifest: m, Labels: map[int]string{}, Values: map[int]map[string]string{}, Roles: map[string]string{}, Controls: map[string]string{}}
	for _, p := range m.Points {
		parts := make([]string, 0, len(m.Params))
		for _, par := range m.Params {
			parts = append(parts, par.Path+"="+p.Values[par.Path])
		}
		r.Labels[p.Index] = strings.Join(parts, ",")
		r.Values[p.Index] = p.Values
	}
	return r
}

// OutcomeEpisodes is the number of episodes per agent and split whose
// outcomes AgentSplit.Outcome keeps.
const OutcomeEpisodes = 100

type agentKey struct {
	run   *Run
	point int
	id    string
}

// read appends the agents of the tables of src.
func (s *Study) read(run *Run, src *data.Run) error {
	index := map[agentKey]*Agent{}
	for _, a := range s.Agents {
		index[agentKey{a.Run, a.Point, a.ID}] = a
	}
	get := func(point int, opt, fam, id string, seed uint64) *Agent {
		k := agentKey{run, point, id}
		a := index[k]
		if a == nil {
			a = &Agent{Run: run, Point: point, Optimizer: opt, Family: fam, ID: id, Seed: seed, Splits: map[string]*AgentSplit{}}
			index[k] = a
			s.Agents = append(s.Agents, a)
		}
		return a
	}
	ep, err := src.Episodes(s.opts.readOptions())
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer ep.Close()
	for ep.Next() {
		e := ep.Row()
		a := get(e.Point, e.Optimizer, e.Family, e.AgentID, e.AgentSeed)
		a.seedIndex = e.SeedIndex // -1 in runs before schema version 6
		sp := a.Splits[e.Split]
		if sp == nil {
			sp = &AgentSplit{ByProxy: map[string]int{}}
			a.Splits[e.Split] = sp
			if !slices.Contains(s.Splits, e.Split) {
				s.Splits = append(s.Splits, e.Split)
			}
		}
		sp.Episodes++
		sp.Return += e.BaseReturn
		if e.Episode >= 0 && e.Episode < OutcomeEpisodes {
			for len(sp.Outcome) <= e.Episode {
				sp.Outcome = append(sp.Outcome, "")
			}
			sp.Outcome[e.Episode] = strings.TrimSpace(e.Outcome + " " + e.Proxy)
		}
		if e.ReachedExit {
			sp.Reached++
		}
		switch e.Outcome {
		case names.OutcomeGoal:
			sp.Goal++
		case names.OutcomeProxyThenGoal:
			sp.ProxyThenGoal++
			sp.ByProxy[e.Proxy]++
		case names.OutcomeProxy:
			sp.Proxy++
			sp.ByProxy[e.Proxy]++
		default:
			sp.Failure++
		}
	}
	if err := ep.Err(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := s.readAttribution(src, get); err != nil {
		return err
	}
	if err := s.readAgents(run, src, index); err != nil {
		return err
	}
	return s.readTraining(run, src, index)
}

func (s *Study) readAttribution(src *data.Run, get func(int, string, string, string, uint64) *Agent) error {
	if !src.Has(data.TableAttribution) {
		return nil // a partial run may lack it
	}
	r, err := src.Attribution(s.opts.readOptions())
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer r.Close()
	for r.Next() {
		row := r.Row()
		a := get(row.Point, row.Optimizer, row.Family, row.AgentID, row.AgentSeed)
		if a.Posterior == nil {
			a.Posterior, a.Pursued = map[string]float64{}, map[string]bool{}
		}
		a.Posterior[row.Candidate] = row.Posterior
		if row.Role != "" {
			a.Run.Roles[row.Candidate] = row.Role
		}
		if row.Control != "" {
			a.Run.Controls[row.Candidate] = row.Control
		}
		if row.Attributed {
			a.Attributed = row.Candidate
			if row.Verdict == "" { // before schema version 5
				a.Verdict, a.Stability = row.Candidate, math.NaN()
			}
		}
		if row.Verdict != "" {
			a.Verdict, a.Stability = row.Verdict, row.Stability
			if a.Shares == nil {
				a.Shares = map[string]float64{}
			}
			a.Shares[row.Candidate] = row.Share
		}
		if row.Graded != nil {
			if a.Graded == nil {
				a.Graded = map[string]*GradedFit{}
			}
			a.Graded[row.Candidate] = &GradedFit{Role: row.Role, Control: row.Control, KStar: row.KStar, KLo: row.KLo, KHi: row.KHi,
				Censored: row.KCensored, Strength: row.Strength, Lo: row.StrengthLo, Hi: row.StrengthHi, Points: row.Graded}
		}
		if row.Probes > 0 {
			a.Probed = append(a.Probed, row.Candidate)
			a.Pursued[row.Candidate] = row.Pursued
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	for _, a := range s.Agents {
		var pulled []string
		for label, g := range a.Graded {
			if g.Role == names.RoleProxy && g.Lo > 0 {
				pulled = append(pulled, label)
			}
		}
		slices.Sort(pulled)
		a.Label = analysis.Qualify(a.Verdict, pulled)
	}
	return nil
}

func (s *Study) readAgents(run *Run, src *data.Run, index map[agentKey]*Agent) error {
	if !src.Has(data.TableAgents) {
		return nil
	}
	r, err := src.Agents(s.opts.readOptions())
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer r.Close()
	for r.Next() {
		row := r.Row()
		a := index[agentKey{run, row.Point, row.AgentID}]
		if a == nil || row.Objective == nil {
			continue // not evaluated (a population member), or no readout
		}
		a.Objective = map[string]float64{}
		for _, w := range row.Objective {
			a.Objective[w.Feature] = w.Weight
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

func (s *Study) readTraining(run *Run, src *data.Run, index map[agentKey]*Agent) error {
	if !src.Has(data.TableTraining) {
		return nil
	}
	r, err := src.Training(s.opts.readOptions())
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer r.Close()
	// Training rows name their run by (optimizer, family, seed); the
	// evaluated agent of that run is its final agent.
	type runKey struct {
		point    int
		opt, fam string
		seed     uint64
	}
	byRun := map[runKey]*Agent{}
	for _, a := range s.Agents {
		if a.Run == run && !a.Scripted() {
			byRun[runKey{a.Point, a.Optimizer, a.Family, a.Seed}] = a
		}
	}
	for r.Next() {
		row := r.Row()
		if !row.Monitored {
			continue
		}
		if a := byRun[runKey{row.Point, row.Optimizer, row.Family, row.AgentSeed}]; a != nil {
			a.Curve = append(a.Curve, Checkpoint{EnvSteps: row.EnvSteps, Success: row.MonitorSuccess, Return: row.MonitorReturn})
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

func (r *Run) registry() *experiment.Registry {
	if r.reg == nil {
		return experiment.Builtin()
	}
	return r.reg
}

func (o *Options) registry() *experiment.Registry {
	if o.Registry == nil {
		return experiment.Builtin()
	}
	return o.Registry
}
