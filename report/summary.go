package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/stats"
)

// A Metric is one per-agent number on a split: a share of the agent's
// episodes, or its mean base return.
type Metric struct {
	Name    string // column name: "goal"
	Title   string // in sentences: "reach the exit directly"
	Percent bool   // a share, printed as a percentage
	value   func(*AgentSplit) float64
}

func share(k func(*AgentSplit) int) func(*AgentSplit) float64 {
	return func(s *AgentSplit) float64 { return float64(k(s)) / float64(s.Episodes) }
}

// The outcome metrics, in table order.
var (
	MetricGoal          = Metric{data.OutcomeGoal, "goal (straight to the exit)", true, share(func(s *AgentSplit) int { return s.Goal })}
	MetricProxyThenGoal = Metric{data.OutcomeProxyThenGoal, "a proxy first, then the exit", true, share(func(s *AgentSplit) int { return s.ProxyThenGoal })}
	MetricProxy         = Metric{data.OutcomeProxy, "a proxy, never the exit", true, share(func(s *AgentSplit) int { return s.Proxy })}
	MetricFailure       = Metric{data.OutcomeCapabilityFailure, "capability failure", true, share(func(s *AgentSplit) int { return s.Failure })}
	// MetricPursued is the share of episodes whose first pursued target
	// (proxy or proxy→goal) was a training proxy's: green, the training
	// corner. Controls and object kinds are not proxies: see
	// MetricControl.
	MetricPursued = Metric{"proxy pursued", "pursue a training proxy's target first (proxy or proxy→goal)", true, share(func(s *AgentSplit) int { return s.OfProxies })}
	// MetricControl is the share of episodes whose first pursued target
	// was a control's: a colour or corner training never showed.
	MetricControl = Metric{"control pursued", "pursue a control's target first (proxy or proxy→goal)", true, share(func(s *AgentSplit) int { return s.OfControls })}
	// MetricExcess is proxy pursuit beyond its control: the share of
	// episodes that pursued a training proxy's target (green, the training
	// corner) minus the share that pursued a control's (a colour or corner
	// training never showed). Chasing apples of any colour scores 0;
	// preferring the colour the exit had in training scores above 0.
	MetricExcess  = Metric{"proxy − control", "pursue a training proxy's target more than its control's (proxy minus control share)", true, func(s *AgentSplit) float64 { return float64(s.OfProxies-s.OfControls) / float64(s.Episodes) }}
	MetricReached = Metric{"reached", "reach the exit at all", true, share(func(s *AgentSplit) int { return s.Reached })}
	MetricReturn  = Metric{"return", "mean base return", false, func(s *AgentSplit) float64 { return s.Return / float64(s.Episodes) }}
)

// OutcomeMetrics are the metrics of the outcome table.
var OutcomeMetrics = []Metric{MetricGoal, MetricProxyThenGoal, MetricProxy, MetricFailure, MetricPursued, MetricControl, MetricExcess, MetricReturn}

// A Cell is the agents of one (run, sweep point, optimizer, family).
type Cell struct {
	Run       *Run
	Point     int
	Optimizer string
	Family    string
	Agents    []*Agent
}

// Label is the cell's sweep point label ("" outside sweeps).
func (c *Cell) Label() string { return c.Run.Labels[c.Point] }

// Name is "ga/planner".
func (c *Cell) Name() string { return c.Optimizer + "/" + c.Family }

// Scripted reports whether the cell is a scripted reference.
func (c *Cell) Scripted() bool { return c.Optimizer == "none" }

// Values returns each agent's value of m on split, skipping agents without
// episodes there.
func (c *Cell) Values(m Metric, split string) []float64 {
	var xs []float64
	for _, a := range c.Agents {
		if s := a.Splits[split]; s != nil && s.Episodes > 0 {
			xs = append(xs, m.value(s))
		}
	}
	return xs
}

// Episodes returns the cell's episode count on split and the count of
// those with m's outcome (m a share): the pooled numbers, for the
// secondary, episode-level interval.
func (c *Cell) pooled(m Metric, split string) (k, n int) {
	for _, a := range c.Agents {
		if s := a.Splits[split]; s != nil {
			n += s.Episodes
			k += int(math.Round(m.value(s) * float64(s.Episodes)))
		}
	}
	return k, n
}

// Cells groups the study's agents, in the order the runs evaluated them.
func (s *Study) Cells() []*Cell {
	type key struct {
		run      *Run
		point    int
		opt, fam string
	}
	var out []*Cell
	index := map[key]*Cell{}
	for _, a := range s.Agents {
		k := key{a.Run, a.Point, a.Optimizer, a.Family}
		c := index[k]
		if c == nil {
			c = &Cell{Run: a.Run, Point: a.Point, Optimizer: a.Optimizer, Family: a.Family}
			index[k] = c
			out = append(out, c)
		}
		c.Agents = append(c.Agents, a)
	}
	return out
}

// Interval returns the mean of m over the cell's agents on split with
// its interval over agents (Student t at the study's level).
func (s *Study) Interval(c *Cell, m Metric, split string) stats.Interval {
	iv, err := stats.MeanT(c.Values(m, split), s.opts.level())
	if err != nil {
		return stats.Interval{Centre: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	return iv
}

// PooledInterval is the secondary, episode-level figure: the share of all
// the cell's episodes on split with m's outcome, with a Wilson interval
// that treats episodes as independent (they are not: see Interval).
func (s *Study) PooledInterval(c *Cell, m Metric, split string) stats.Interval {
	k, n := c.pooled(m, split)
	iv, err := stats.Wilson(k, n, s.opts.level())
	if err != nil {
		return stats.Interval{Centre: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	return iv
}

// A Comparison compares two base optimizers on one family, split and
// metric, over training seeds.
type Comparison struct {
	Run           *Run
	Point         int
	Family, Split string
	Metric        Metric
	A, B          string // optimizers
	stats.Comparison
}

// ComparedMetrics are the metrics compared between optimizers.
var ComparedMetrics = []Metric{MetricExcess, MetricPursued, MetricGoal}

// Comparisons compares every pair of trained optimizers, for each run,
// sweep point, family, split and compared metric, with a two-sided
// permutation test over training seeds (exact when feasible), and adjusts
// the p-values of each metric × split with Holm's method.
func (s *Study) Comparisons() ([]Comparison, error) {
	if s.comparisons != nil {
		return s.comparisons, nil // the tables and the headline share them
	}
	cells := s.Cells()
	var out []Comparison
	// Deterministic: Monte Carlo tests draw from a seeded stream.
	rng := seeds.New(0, "report/compare")
	for i, a := range cells {
		for _, b := range cells[i+1:] {
			if a.Scripted() || b.Scripted() || a.Run != b.Run || a.Point != b.Point || a.Family != b.Family || a.Optimizer == b.Optimizer {
				continue
			}
			for _, split := range s.Splits {
				for _, m := range ComparedMetrics {
					xa, xb := a.Values(m, split), b.Values(m, split)
					if len(xa) == 0 || len(xb) == 0 {
						continue
					}
					c, err := stats.Compare(xa, xb, s.opts.alpha(), rng)
					if err != nil {
						return nil, err
					}
					out = append(out, Comparison{Run: a.Run, Point: a.Point, Family: a.Family, Split: split, Metric: m,
						A: a.Optimizer, B: b.Optimizer, Comparison: c})
				}
			}
		}
	}
	// Each metric on each split is its own question: Holm's adjustment
	// runs over that question's comparisons (families, sweep points,
	// optimizer pairs). One family over everything would make 5 seeds per
	// group unable to reach significance at all.
	err := holmWithin(len(out), func(i int) string { return out[i].Metric.Name + "\x00" + out[i].Split },
		func(i int) *stats.Comparison { return &out[i].Comparison })
	if err != nil {
		return nil, err
	}
	s.comparisons = out
	return out, nil
}

// A CurvePoint is a learning curve's value at one budget position.
type CurvePoint struct {
	EnvSteps float64
	Success  stats.Interval
	Return   stats.Interval
}

// Curve returns the cell's learning curve: at each of n+1 positions evenly
// spaced from 0 to the longest training run, the mean over seeds of the
// monitor's measurement of the agent each seed's optimizer would have
// handed over then (its last checkpoint at or before the position), with
// intervals over seeds. Positions before a seed's first checkpoint leave
// that seed out. It returns nil if the cell has no monitored training.
func (s *Study) Curve(c *Cell, n int) []CurvePoint {
	maxSteps := 0
	for _, a := range c.Agents {
		if len(a.Curve) > 0 {
			maxSteps = max(maxSteps, a.Curve[len(a.Curve)-1].EnvSteps)
		}
	}
	if maxSteps == 0 || n < 1 {
		return nil
	}
	var out []CurvePoint
	for i := 0; i <= n; i++ {
		x := float64(maxSteps) * float64(i) / float64(n)
		var succ, ret []float64
		for _, a := range c.Agents {
			j, _ := slices.BinarySearchFunc(a.Curve, x, func(cp Checkpoint, x float64) int {
				return cmp.Compare(float64(cp.EnvSteps), x)
			})
			if j < len(a.Curve) && float64(a.Curve[j].EnvSteps) == x {
				j++
			}
			if j == 0 {
				continue // no checkpoint yet
			}
			succ, ret = append(succ, a.Curve[j-1].Success), append(ret, a.Curve[j-1].Return)
		}
		if len(succ) == 0 {
			continue
		}
		si, _ := stats.MeanT(succ, s.opts.level())
		ri, _ := stats.MeanT(ret, s.opts.level())
		out = append(out, CurvePoint{EnvSteps: x, Success: si, Return: ri})
	}
	return out
}

// A SweepSeries is one cell's metric along a numeric sweep parameter.
type SweepSeries struct {
	Run               *Run
	Optimizer, Family string
	Param             string
	X                 []float64
	Y                 []stats.Interval
}

// A sweepLine is one optimizer × family's cells along a run's sweep over
// one numeric parameter, in the parameter's order.
type sweepLine struct {
	run               *Run
	param             string
	optimizer, family string
	xs                []float64
	cells             []*Cell
}

// sweepLines returns the sweep lines of every run swept over exactly one
// numeric parameter: the trained cells, by optimizer × family.
func (s *Study) sweepLines() []*sweepLine {
	var out []*sweepLine
	for _, run := range s.Runs {
		ps := run.Manifest.Params
		if len(ps) != 1 || !ps[0].Numeric {
			continue
		}
		byName := map[string]*sweepLine{}
		for _, c := range s.Cells() {
			if c.Run != run || c.Scripted() {
				continue
			}
			x, err := strconv.ParseFloat(run.Values[c.Point][ps[0].Path], 64)
			if err != nil {
				continue
			}
			l := byName[c.Name()]
			if l == nil {
				l = &sweepLine{run: run, param: ps[0].Path, optimizer: c.Optimizer, family: c.Family}
				byName[c.Name()] = l
				out = append(out, l)
			}
			l.xs = append(l.xs, x)
			l.cells = append(l.cells, c)
		}
	}
	for _, l := range out {
		order := make([]int, len(l.xs))
		for i := range order {
			order[i] = i
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(l.xs[a], l.xs[b]) })
		xs, cells := slices.Clone(l.xs), slices.Clone(l.cells)
		for i, k := range order {
			l.xs[i], l.cells[i] = xs[k], cells[k]
		}
	}
	return out
}

// sweepSeries maps each sweep line to a series of iv over its cells,
// leaving out cells where iv has no centre (or fails).
func (s *Study) sweepSeries(iv func(*Cell) (stats.Interval, error)) []SweepSeries {
	var out []SweepSeries
	for _, l := range s.sweepLines() {
		sr := SweepSeries{Run: l.run, Optimizer: l.optimizer, Family: l.family, Param: l.param}
		for i, c := range l.cells {
			v, err := iv(c)
			if err != nil || math.IsNaN(v.Centre) {
				continue
			}
			sr.X = append(sr.X, l.xs[i])
			sr.Y = append(sr.Y, v)
		}
		if len(sr.X) > 0 {
			out = append(out, sr)
		}
	}
	return out
}

// SweepCurves returns, for each run swept over exactly one numeric
// parameter, each optimizer × family's metric on split against the
// parameter's value, with intervals over seeds.
func (s *Study) SweepCurves(m Metric, split string) []SweepSeries {
	return s.sweepSeries(func(c *Cell) (stats.Interval, error) { return s.Interval(c, m, split), nil })
}

// SweepAttribution returns, for each run swept over exactly one numeric
// parameter, each optimizer × family's share of agents whose verdict is
// candidate against the parameter's value, with Wilson intervals over
// agents (each agent one independent training seed).
func (s *Study) SweepAttribution(candidate string) []SweepSeries {
	return s.sweepSeries(func(c *Cell) (stats.Interval, error) {
		k, n := 0, 0
		for _, a := range c.Agents {
			if a.Verdict != "" {
				n++
				if a.Verdict == candidate {
					k++
				}
			}
		}
		return stats.Wilson(k, n, s.opts.level()) // an error when no agent is attributed
	})
}

// FeatureWeights returns, for the cell's agents with a mesa-objective
// readout, each feature's mean weight over agents with its interval, by
// decreasing |mean|.
func (s *Study) FeatureWeights(c *Cell) []FeatureWeight {
	byFeature := map[string][]float64{}
	var order []string
	for _, a := range c.Agents {
		for f, w := range a.Objective {
			if byFeature[f] == nil {
				order = append(order, f)
			}
			byFeature[f] = append(byFeature[f], w)
		}
	}
	slices.Sort(order)
	out := make([]FeatureWeight, 0, len(order))
	for _, f := range order {
		iv, _ := stats.MeanT(byFeature[f], s.opts.level())
		out = append(out, FeatureWeight{Feature: f, Weight: iv})
	}
	slices.SortStableFunc(out, func(a, b FeatureWeight) int {
		return cmp.Compare(math.Abs(b.Weight.Centre), math.Abs(a.Weight.Centre))
	})
	return out
}

// A FeatureWeight is one feature's readout weight over a cell's agents.
type FeatureWeight struct {
	Feature string
	Weight  stats.Interval
}

// AttributionShares returns, for the cell, the share of its agents with
// each verdict (a candidate, "none" or "unstable", qualified by the proxies
// that pull it: Agent.Label) and the share that
// pursue each probed candidate more than its control, with the verdicts in
// a stable order (most agents first).
func (s *Study) AttributionShares(c *Cell) (attributed []Share, pursued []Share) {
	counts := map[string]int{}
	pcounts := map[string]int{}
	var probed []string
	n := 0
	for _, a := range c.Agents {
		if a.Verdict == "" {
			continue
		}
		n++
		counts[a.Label]++
		for _, p := range a.Probed {
			if !slices.Contains(probed, p) {
				probed = append(probed, p)
			}
			if a.Pursued[p] {
				pcounts[p]++
			}
		}
	}
	for k, v := range counts {
		attributed = append(attributed, Share{Candidate: k, Agents: v, Of: n})
	}
	slices.SortFunc(attributed, func(a, b Share) int {
		return cmp.Or(cmp.Compare(b.Agents, a.Agents), cmp.Compare(a.Candidate, b.Candidate))
	})
	for _, p := range probed {
		pursued = append(pursued, Share{Candidate: p, Agents: pcounts[p], Of: n})
	}
	return attributed, pursued
}

// A Share counts agents out of a cell's.
type Share struct {
	Candidate string
	Agents    int
	Of        int
}

func (sh Share) String() string { return fmt.Sprintf("%s %d/%d", sh.Candidate, sh.Agents, sh.Of) }

// A TrendResult is a metric's monotone trend along a run's sweep for one
// optimizer × family on one split, over training seeds paired across the
// points (the same seeds at every point).
type TrendResult struct {
	Run               *Run
	Param             string
	Optimizer, Family string
	Split             string
	Metric            Metric
	// First and Last are the metric's intervals at the first and last
	// point, X their parameter values.
	First, Last stats.Interval
	XFirst      float64
	XLast       float64
	stats.Trend
}

// Trends tests, for each run swept over exactly one numeric parameter,
// whether each compared metric moves monotonically with the parameter, for
// every optimizer × family and split: a within-seed permutation test
// (stats.TrendTest) on the seeds present at every point, Holm-adjusted
// within each metric × split.
func (s *Study) Trends() ([]TrendResult, error) {
	if s.trends != nil {
		return s.trends, nil
	}
	var out []TrendResult
	rng := seeds.New(0, "report/trend")
	for _, l := range s.sweepLines() {
		if len(l.cells) < 2 {
			continue
		}
		first, last := l.cells[0], l.cells[len(l.cells)-1]
		for _, split := range s.Splits {
			for _, m := range ComparedMetrics {
				y, ok := pairedBySeed(l.cells, m, split)
				if !ok {
					continue
				}
				tr, err := stats.TrendTest(y, s.opts.alpha(), rng)
				if err != nil {
					return nil, err
				}
				out = append(out, TrendResult{Run: l.run, Param: l.param, Optimizer: l.optimizer, Family: l.family, Split: split, Metric: m,
					First: s.Interval(first, m, split), Last: s.Interval(last, m, split),
					XFirst: l.xs[0], XLast: l.xs[len(l.xs)-1], Trend: tr})
			}
		}
	}
	type question struct{ metric, split string }
	groups := map[question][]int{}
	var qs []question
	for i, t := range out {
		q := question{t.Metric.Name, t.Split}
		if groups[q] == nil {
			qs = append(qs, q)
		}
		groups[q] = append(groups[q], i)
	}
	for _, q := range qs {
		ts := make([]stats.Trend, len(groups[q]))
		for j, i := range groups[q] {
			ts[j] = out[i].Trend
		}
		if err := stats.AdjustTrends(ts); err != nil {
			return nil, err
		}
		for j, i := range groups[q] {
			out[i].Trend = ts[j]
		}
	}
	s.trends = out
	return out, nil
}

// pairedBySeed returns y[j][i], the metric of seed i at cells[j], over
// the training seeds that have episodes on split at every
// point; false if there are none. Seeds pair by their training seed,
// which a unit derives from its optimizer, family and seed index, not
// from the point.
func pairedBySeed(cells []*Cell, m Metric, split string) ([][]float64, bool) {
	values := make([]map[uint64]float64, len(cells))
	for jj, c := range cells {
		values[jj] = map[uint64]float64{}
		for _, a := range c.Agents {
			if sp := a.Splits[split]; sp != nil && sp.Episodes > 0 {
				values[jj][a.Seed] = m.value(sp)
			}
		}
	}
	var common []uint64
	for seed := range values[0] {
		ok := true
		for _, v := range values[1:] {
			_, in := v[seed]
			ok = ok && in
		}
		if ok {
			common = append(common, seed)
		}
	}
	if len(common) == 0 {
		return nil, false
	}
	slices.Sort(common)
	y := make([][]float64, len(cells))
	for jj := range cells {
		for _, seed := range common {
			y[jj] = append(y[jj], values[jj][seed])
		}
	}
	return y, true
}
