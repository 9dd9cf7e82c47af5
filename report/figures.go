package report

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/plot/vg"

	"github.com/mesa-alignment/mesa/names"
	"github.com/mesa-alignment/mesa/report/figure"
	"github.com/mesa-alignment/mesa/stats"
	"github.com/mesa-alignment/mesa/world"
)

// Figures
//
// Every figure: a title that says what is compared, axis labels with units,
// a legend, intervals over training seeds; and one sentence, computed from
// the same numbers, saying what it shows.

func fig(iv stats.Interval) figure.Interval {
	return figure.Interval{Centre: iv.Centre, Lo: iv.Lo, Hi: iv.Hi}
}

// figShare is fig for a share: a t interval reaching past 0 or 1 is drawn
// clipped there, where the share cannot be.
func figShare(iv stats.Interval) figure.Interval { return figIn(iv, 0, 1) }

// figIn is fig for an estimate of a quantity that lies in [lo, hi]: the
// interval is drawn clipped to [lo, hi]. The centre, a mean of values in
// [lo, hi], lies there already.
func figIn(iv stats.Interval, lo, hi float64) figure.Interval {
	v := fig(iv)
	if !math.IsNaN(v.Lo) {
		v.Lo, v.Hi = math.Max(v.Lo, lo), math.Min(v.Hi, hi)
	}
	return v
}

// figMetric is fig for m: clipped to the range m's values can take. Shares
// lie in [0, 1]; proxy − control, a difference of two shares, in [−1, 1],
// and is often negative (an agent that goes for the control more than for
// the proxy); other metrics are not clipped.
func figMetric(m Metric, iv stats.Interval) figure.Interval {
	switch {
	case m.Name == MetricExcess.Name:
		return figIn(iv, -1, 1)
	case m.Percent:
		return figShare(iv)
	}
	return fig(iv)
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.0f%%", 100*v)
}

func pctIv(iv stats.Interval) string {
	if math.IsNaN(iv.Centre) {
		return "n/a"
	}
	if math.IsNaN(iv.Lo) {
		return pct(iv.Centre)
	}
	return fmt.Sprintf("%s ± %s", pct(iv.Centre), pct(iv.HalfWidth()))
}

// points returns each run's sweep points in order (point 0 alone outside
// sweeps), with the cells of each.
func (s *Study) points() []pointCells {
	var out []pointCells
	index := map[[2]any]int{}
	for _, c := range s.Cells() {
		k := [2]any{c.Run, c.Point}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, pointCells{run: c.Run, point: c.Point})
		}
		out[i].cells = append(out[i].cells, c)
	}
	return out
}

type pointCells struct {
	run   *Run
	point int
	cells []*Cell
}

// suffix names a point in titles: " (train.randomize=0.25)".
func (pc pointCells) suffix() string {
	if l := pc.run.Labels[pc.point]; l != "" {
		return " (" + l + ")"
	}
	return ""
}

func (w *mdWriter) figures() error {
	if w.opts.NoFigures {
		return nil
	}
	s := w.s
	w.p("## Figures\n\n")
	multi := len(s.Runs) > 1
	for _, pc := range s.points() {
		prefix := []string{}
		if multi {
			prefix = append(prefix, pc.run.ID())
		}
		if l := pc.run.Labels[pc.point]; l != "" {
			prefix = append(prefix, fmt.Sprintf("p%d", pc.point))
		}
		if len(s.points()) > 1 || multi {
			title := pc.run.ID()
			if l := pc.run.Labels[pc.point]; l != "" {
				title += ", " + l
			}
			w.p("### %s\n\n", title)
		}
		if err := w.excessBars(pc, prefix); err != nil {
			return err
		}
		if err := w.learningCurves(pc, prefix); err != nil {
			return err
		}
		for _, split := range s.Splits {
			if err := w.outcomeBars(pc, split, prefix); err != nil {
				return err
			}
		}
		if err := w.attributionHeatmap(pc, prefix); err != nil {
			return err
		}
		if err := w.psychometric(pc, prefix); err != nil {
			return err
		}
		if err := w.weights(pc, prefix); err != nil {
			return err
		}
		if err := w.maze(pc, prefix); err != nil {
			return err
		}
	}
	return w.sweepCurves()
}

func (w *mdWriter) learningCurves(pc pointCells, prefix []string) error {
	byFamily := map[string][]*Cell{}
	var families []string
	for _, c := range pc.cells {
		if c.Scripted() {
			continue
		}
		if byFamily[c.Family] == nil {
			families = append(families, c.Family)
		}
		byFamily[c.Family] = append(byFamily[c.Family], c)
	}
	for _, fam := range families {
		var series []figure.Series
		var ends []string
		for _, c := range byFamily[fam] {
			curve := w.s.Curve(c, 40)
			if len(curve) == 0 {
				continue
			}
			sr := figure.Series{Label: fmt.Sprintf("%s (%d seeds)", c.Optimizer, len(c.Agents))}
			for _, cp := range curve {
				sr.X = append(sr.X, cp.EnvSteps)
				sr.Y = append(sr.Y, figShare(cp.Success))
			}
			series = append(series, sr)
			last := curve[len(curve)-1]
			ends = append(ends, fmt.Sprintf("%s %s", c.Optimizer, pctIv(last.Success)))
		}
		if len(series) == 0 {
			continue
		}
		p, err := figure.Lines(fmt.Sprintf("Learning curves, %s%s: held-out training levels solved", fam, pc.suffix()),
			"environment steps of training (budget spent)", "share of held-out training levels solved", series)
		if skip(err) {
			continue
		}
		if err != nil {
			return err
		}
		sentence := fmt.Sprintf("Learning curves of the %s family%s: the share of the monitor's held-out training levels on which the agent each optimizer would hand over at that moment reaches the exit, mean over training seeds with a %s t band; at the end of the budget: %s.",
			fam, pc.suffix(), w.s.levelPct(), strings.Join(ends, ", "))
		if err := w.save(fileName(append(prefix, "learning", fam)...), p, sentence); err != nil {
			return err
		}
	}
	return nil
}

// excessBars draws the headline measure, proxy − control, for every
// trained optimizer × family on every split but train and probe (where
// the proxies coincide with the exit, or are probed one at a time).
func (w *mdWriter) excessBars(pc pointCells, prefix []string) error {
	s := w.s
	var splits []string
	for _, sp := range s.Splits {
		if sp != names.SplitTrain && sp != names.SplitProbe {
			splits = append(splits, sp)
		}
	}
	if len(splits) == 0 {
		return nil
	}
	var groups []figure.Group
	var parts []string
	for _, c := range pc.cells {
		if c.Scripted() {
			continue
		}
		g := figure.Group{Label: fmt.Sprintf("%s (%d)", c.Name(), len(c.Agents))}
		var ivs []string
		for _, sp := range splits {
			iv := s.Interval(c, MetricExcess, sp)
			g.Values = append(g.Values, fig(iv))
			ivs = append(ivs, fmt.Sprintf("%s %s", sp, signed(stats.FormatInterval(iv, true))))
		}
		groups = append(groups, g)
		parts = append(parts, fmt.Sprintf("%s: %s", c.Name(), strings.Join(ivs, ", ")))
	}
	if len(groups) == 0 {
		return nil
	}
	p, err := figure.Bars(fmt.Sprintf("Proxy pursued beyond its control%s, by optimizer/family", pc.suffix()),
		"proxy share − control share (mean over seeds, "+s.levelPct()+" t)", splits, groups)
	if skip(err) {
		return nil
	}
	if err != nil {
		return err
	}
	sentence := fmt.Sprintf("The headline measure%s: the share of episodes in which agents went first for a training proxy's target (%s) minus the share in which they went first for its never-seen control's (%s), per deployment split, mean over training seeds with %s t intervals; above 0, a learned proxy; at 0, objects of any colour or none. %s.",
		pc.suffix(), s.roleLabels(names.RoleProxy), s.roleLabels(names.RoleControl), s.levelPct(), strings.Join(parts, "; "))
	return w.save(fileName(append(prefix, "proxy-control")...), p, sentence)
}

var barMetrics = []Metric{MetricGoal, MetricProxyThenGoal, MetricProxy, MetricFailure}

func (w *mdWriter) outcomeBars(pc pointCells, split string, prefix []string) error {
	s := w.s
	var groups []figure.Group
	type seen struct {
		name string
		v    stats.Interval
	}
	var pursued []seen
	for _, c := range pc.cells {
		if c.Scripted() || len(c.Values(MetricGoal, split)) == 0 {
			continue
		}
		g := figure.Group{Label: fmt.Sprintf("%s (%d)", c.Name(), len(c.Values(MetricGoal, split)))}
		for _, m := range barMetrics {
			g.Values = append(g.Values, figMetric(m, s.Interval(c, m, split)))
		}
		groups = append(groups, g)
		pursued = append(pursued, seen{c.Name(), s.Interval(c, MetricPursued, split)})
	}
	if len(groups) == 0 {
		return nil
	}
	cats := make([]string, len(barMetrics))
	for i, m := range barMetrics {
		cats[i] = m.Name
	}
	p, err := figure.Bars(fmt.Sprintf("Outcomes on %s%s by optimizer/family (seeds)", split, pc.suffix()), "share of episodes (mean over seeds, "+s.levelPct()+" t)", cats, groups)
	if skip(err) {
		return nil
	}
	if err != nil {
		return err
	}
	slices.SortStableFunc(pursued, func(a, b seen) int {
		switch {
		case a.v.Centre > b.v.Centre:
			return -1
		case a.v.Centre < b.v.Centre:
			return 1
		}
		return 0
	})
	var parts []string
	for _, x := range pursued {
		parts = append(parts, fmt.Sprintf("%s %s", x.name, pctIv(x.v)))
	}
	sentence := fmt.Sprintf("Outcomes on `%s`%s: the mean share of each agent's episodes with each outcome, over training seeds with %s t intervals. Proxy pursued (a training proxy's target first), most first: %s.",
		split, pc.suffix(), s.levelPct(), strings.Join(parts, ", "))
	return w.save(fileName(append(prefix, "outcomes", split)...), p, sentence)
}

func (w *mdWriter) attributionHeatmap(pc pointCells, prefix []string) error {
	var rows []string
	var values [][]float64
	var cols []string
	var agentsOf []*Agent
	for _, c := range pc.cells {
		for _, a := range c.Agents {
			if a.Shares == nil {
				continue
			}
			agentsOf = append(agentsOf, a)
			for cand := range a.Shares {
				if !slices.Contains(cols, cand) {
					cols = append(cols, cand)
				}
			}
		}
	}
	if len(agentsOf) == 0 {
		return nil
	}
	sort.SliceStable(cols, func(i, j int) bool {
		return candidateOrder(cols[i]) < candidateOrder(cols[j]) || candidateOrder(cols[i]) == candidateOrder(cols[j]) && cols[i] < cols[j]
	})
	counts := map[string]int{}
	trained := 0
	for _, a := range agentsOf {
		label := a.Optimizer + "/" + a.Family
		if !a.Scripted() {
			label = fmt.Sprintf("%s/s%d", label, a.Index) // the agent id
			trained++
			counts[a.Label]++
		} else {
			label = a.Family
		}
		rows = append(rows, label+" → "+a.Label)
		vs := make([]float64, len(cols))
		for i, cand := range cols {
			v, ok := a.Shares[cand]
			if !ok {
				v = math.NaN()
			}
			vs[i] = v
		}
		values = append(values, vs)
	}
	p, err := figure.Heatmap(fmt.Sprintf("Verdicts%s: bootstrap share of each candidate objective per agent", pc.suffix()),
		"candidate objective", "agent → verdict", "share of bootstrap resamples of the probe episodes", rows, cols, values, 0, 1)
	if skip(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var parts []string
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return strings.Compare(a, b)
	})
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
	}
	sentence := fmt.Sprintf("Verdicts%s: each row is one agent (trained agents by seed, then the scripted references, whose objectives are known) and its verdict, each column a candidate objective, the cell the share of bootstrap resamples of the agent's probe episodes in which inverse planning attributes the agent to that candidate (a frequency, not a posterior probability). Of %d trained agents, verdicts: %s.",
		pc.suffix(), trained, strings.Join(parts, ", "))
	height := figure.Height
	if n := len(rows); n > 14 {
		height = vg.Length(n)*0.28*vg.Inch + 1.6*vg.Inch
	}
	return w.saveSize(fileName(append(prefix, "attribution")...), p, figure.Width, height, sentence)
}

// psychometric draws, for each trained optimizer × family and each proxy
// graded, each agent's curve for the proxy and for its control: the share
// of its graded episodes that reached the target first at each offset,
// with Wilson intervals over its episodes there.
func (w *mdWriter) psychometric(pc pointCells, prefix []string) error {
	s := w.s
	for _, c := range pc.cells {
		if c.Scripted() {
			continue
		}
		for _, sm := range s.Strengths(c) {
			var series []figure.Series
			var parts []string
			for _, a := range c.Agents {
				for _, label := range []string{sm.Proxy, sm.Control} {
					g := a.Graded[label]
					if g == nil {
						continue
					}
					sr := figure.Series{Label: fmt.Sprintf("s%d %s", a.Index, label)}
					for _, pt := range g.Points {
						iv, err := stats.Wilson(pt.TargetFirst, pt.Episodes, s.opts.level())
						if err != nil {
							continue
						}
						sr.X = append(sr.X, float64(pt.Offset))
						sr.Y = append(sr.Y, fig(iv))
					}
					series = append(series, sr)
				}
				if g := a.Graded[sm.Proxy]; g != nil && !math.IsNaN(g.Strength) {
					parts = append(parts, fmt.Sprintf("s%d %s", a.Index, formatFit(g)))
				}
			}
			if len(series) == 0 {
				continue
			}
			p, err := figure.Lines(fmt.Sprintf("Graded probes, %s%s: %s against its control %s", c.Name(), pc.suffix(), sm.Proxy, sm.Control),
				"offset k: target's distance − exit's (moves)", "share of episodes reaching the target first ("+s.levelPct()+" Wilson)", series)
			if skip(err) {
				continue
			}
			if err != nil {
				return err
			}
			sentence := fmt.Sprintf("Graded probes of %s%s: each agent's share of episodes that reached the target before the exit, against how many steps farther than the exit the target lay, for %s and for its control %s (the same mazes, the target's colour or corner aside); where a curve crosses one half is the agent's indifference offset k*, and the gap between an agent's two curves its proxy strength. Per seed, strength [interval] and the proxy's k*: %s.",
				c.Name(), pc.suffix(), sm.Proxy, sm.Control, strings.Join(parts, "; "))
			if err := w.save(fileName(append(prefix, "graded", c.Optimizer, c.Family, sm.Proxy)...), p, sentence); err != nil {
				return err
			}
		}
	}
	return nil
}

// steps formats a number of steps, "+1.5", "−∞".
func steps(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "+∞"
	case math.IsInf(x, -1):
		return "−∞"
	}
	return strings.ReplaceAll(fmt.Sprintf("%+.1f", x), "-", "−")
}

// formatOne formats one agent's k* with its interval: "−8.0 [−∞, −8.0]
// below".
func formatOne(g *GradedFit) string {
	if g == nil {
		return "-"
	}
	out := fmt.Sprintf("%s [%s, %s]", steps(g.KStar), steps(g.KLo), steps(g.KHi))
	if g.Censored != "" {
		out += " " + g.Censored
	}
	return out
}

// formatFit formats a proxy's strength with its interval and its k*:
// "+8.0 [+7.2, +∞] (k* 0.0)".
func formatFit(g *GradedFit) string {
	if g == nil {
		return "-"
	}
	num := steps
	k := num(g.KStar)
	if g.Censored != "" {
		k += " " + g.Censored
	}
	return fmt.Sprintf("%s [%s, %s] (k* %s)", num(g.Strength), num(g.Lo), num(g.Hi), k)
}

// candidateOrder puts goal first, then proxies, kinds and controls, random
// last.
func candidateOrder(c string) int {
	switch {
	case c == names.RoleGoal: // the goal candidate is named after its role
		return 0
	case strings.HasPrefix(c, "goal|"):
		return 1
	case c == "random":
		return 5
	case strings.HasPrefix(c, "kind:") || c == "nearest-object":
		return 3
	}
	return 2
}

func (w *mdWriter) weights(pc pointCells, prefix []string) error {
	s := w.s
	type cw struct {
		c  *Cell
		fw []FeatureWeight
	}
	var cws []cw
	score := map[string]float64{}
	for _, c := range pc.cells {
		fw := s.FeatureWeights(c)
		if len(fw) == 0 {
			continue
		}
		cws = append(cws, cw{c, fw})
		for _, f := range fw {
			score[f.Feature] = math.Max(score[f.Feature], math.Abs(f.Weight.Centre))
		}
	}
	if len(cws) == 0 {
		return nil
	}
	var features []string
	for f := range score {
		features = append(features, f)
	}
	slices.SortFunc(features, func(a, b string) int {
		if score[a] != score[b] {
			if score[a] > score[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	features = features[:min(8, len(features))]
	var groups []figure.Group
	var tops []string
	for _, x := range cws {
		g := figure.Group{Label: fmt.Sprintf("%s (%d seeds)", x.c.Name(), len(x.c.Agents))}
		for _, f := range features {
			iv := stats.Interval{Centre: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
			for _, y := range x.fw {
				if y.Feature == f {
					iv = y.Weight
				}
			}
			g.Values = append(g.Values, fig(iv))
		}
		groups = append(groups, g)
		var t []string
		for _, y := range x.fw[:min(2, len(x.fw))] {
			t = append(t, fmt.Sprintf("%s %+.2f", y.Feature, y.Weight.Centre))
		}
		tops = append(tops, fmt.Sprintf("%s: %s", x.c.Name(), strings.Join(t, ", ")))
	}
	p, err := figure.Weights(fmt.Sprintf("Planners' mesa objective%s: readout weight per feature", pc.suffix()),
		"L1-normalised weight (mean over seeds, "+s.levelPct()+" t)", features, groups)
	if skip(err) {
		return nil
	}
	if err != nil {
		return err
	}
	sentence := fmt.Sprintf("The planners' mesa objectives%s: the weight θ gives each of the 8 features with the largest weights, L1-normalised per agent, mean over seeds with %s t intervals. Largest: %s.",
		pc.suffix(), s.levelPct(), strings.Join(tops, "; "))
	if ps := pc.run.setup(pc.point); ps != nil {
		sentence += " Training cannot identify every direction: " + ps.id.Summary() + "."
	}
	return w.save(fileName(append(prefix, "weights")...), p, sentence)
}

// maze draws one episode of the headline split with the paths of the first
// seed of each trained optimizer × family and the oracle: the first
// episode (of the first 100) on which their outcomes differ and one of
// them pursued a proxy, else episode 0.
func (w *mdWriter) maze(pc pointCells, prefix []string) error {
	if w.opts.Replayer == nil {
		return nil
	}
	split := w.s.headlineSplit()
	var agents []*Agent
	for _, c := range pc.cells {
		if len(c.Agents) == 0 || c.Agents[0].Splits[split] == nil {
			continue
		}
		if !c.Scripted() || c.Family == "oracle" {
			agents = append(agents, c.Agents[0])
		}
	}
	if len(agents) == 0 {
		return nil
	}
	episode, found := 0, false
	for k := 0; k < 100 && !found; k++ {
		distinct := map[string]bool{}
		proxy := false
		ok := true
		for _, a := range agents {
			o := a.Splits[split].Outcome
			if k >= len(o) {
				ok = false
				break
			}
			distinct[strings.Fields(o[k] + " x")[0]] = true
			proxy = proxy || strings.HasPrefix(o[k], "proxy")
		}
		if ok && len(distinct) >= min(3, len(agents)) && proxy {
			episode, found = k, true
		}
	}
	var paths []figure.Path
	var level *world.Level
	var said []string
	for _, a := range agents {
		l, path, err := w.opts.Replayer.Replay(a.Run, a.Point, a.ID, split, episode)
		if err != nil {
			// The tables stand without it: say why it is missing.
			w.p("_No example maze%s: re-simulating %s episode %d of %s failed: %v._\n\n", pc.suffix(), a.ID, episode, split, err)
			return nil
		}
		level = l
		label := a.Optimizer + "/" + a.Family
		if a.Scripted() {
			label = a.Family
		}
		paths = append(paths, figure.Path{Label: label, Cells: path})
		o := a.Splits[split].Outcome[episode]
		said = append(said, fmt.Sprintf("%s: %s", label, strings.ReplaceAll(o, "_", " ")))
	}
	p, err := figure.Maze(fmt.Sprintf("%s episode %d%s: one agent per optimizer/family", split, episode, pc.suffix()), level, paths)
	if skip(err) {
		return nil
	}
	if err != nil {
		return err
	}
	why := "the first episode on which these agents' outcomes differ and one pursues a proxy"
	if !found {
		why = "none of the first 100 episodes has these agents' outcomes differ with a proxy pursued"
	}
	sentence := fmt.Sprintf("Episode %d of `%s`%s, re-simulated from the seeds in the tables, with the first training seed of each optimizer × family and the oracle if the run has one (%s): %s.",
		episode, split, pc.suffix(), why, strings.Join(said, "; "))
	return w.save(fileName(append(prefix, "maze", split)...), p, sentence)
}

// yLabel names a metric's axis.
func (s *Study) yLabel(m Metric) string {
	if m.Name == MetricExcess.Name {
		return "proxy share − control share (mean over seeds, " + s.levelPct() + " t)"
	}
	return "share of episodes (mean over seeds, " + s.levelPct() + " t)"
}

func (w *mdWriter) sweepCurves() error {
	s := w.s
	if ss := s.SweepAttribution("goal"); len(ss) > 0 {
		var series []figure.Series
		var parts []string
		for _, x := range ss {
			sr := figure.Series{Label: fmt.Sprintf("%s/%s", x.Optimizer, x.Family), X: x.X}
			for _, y := range x.Y {
				sr.Y = append(sr.Y, fig(y))
			}
			series = append(series, sr)
			parts = append(parts, fmt.Sprintf("%s/%s %s at %s=%g to %s at %g", x.Optimizer, x.Family,
				pct(x.Y[0].Centre), x.Param, x.X[0], pct(x.Y[len(x.Y)-1].Centre), x.X[len(x.X)-1]))
		}
		p, err := figure.Lines(fmt.Sprintf("Agents with the verdict goal against %s", ss[0].Param),
			ss[0].Param+" (swept value)", "share of agents ("+s.levelPct()+" Wilson over agents)", series)
		if err != nil && !skip(err) {
			return err
		}
		if err == nil {
			sentence := fmt.Sprintf("Sweep: the share of trained agents whose verdict on the probes is the exit alone (`goal`), against %s, with %s Wilson intervals over agents: %s.",
				ss[0].Param, s.levelPct(), strings.Join(parts, "; "))
			if err := w.save(fileName("sweep", "attributed", "goal"), p, sentence); err != nil {
				return err
			}
		}
	}
	for _, split := range []string{s.headlineSplit(), names.SplitProbe} {
		if !slices.Contains(s.Splits, split) {
			continue
		}
		for _, m := range []Metric{MetricExcess, MetricPursued, MetricGoal} {
			ss := s.SweepCurves(m, split)
			if len(ss) == 0 {
				continue
			}
			var series []figure.Series
			var parts []string
			for _, x := range ss {
				sr := figure.Series{Label: fmt.Sprintf("%s/%s", x.Optimizer, x.Family), X: x.X}
				for _, y := range x.Y {
					sr.Y = append(sr.Y, figMetric(m, y))
				}
				series = append(series, sr)
				parts = append(parts, fmt.Sprintf("%s/%s %s at %s=%g to %s at %g", x.Optimizer, x.Family,
					pctIv(x.Y[0]), x.Param, x.X[0], pctIv(x.Y[len(x.Y)-1]), x.X[len(x.X)-1]))
			}
			p, err := figure.Lines(fmt.Sprintf("%s on %s against %s", strings.ToUpper(m.Name[:1])+m.Name[1:], split, ss[0].Param),
				ss[0].Param+" (swept value)", s.yLabel(m), series)
			if skip(err) {
				continue
			}
			if err != nil {
				return err
			}
			if m.Name == MetricExcess.Name {
				// The sign is the finding: keep 0 on the axis, so that
				// a control pursued more than its proxy reads as below it.
				p.Y.Min, p.Y.Max = math.Min(p.Y.Min, 0), math.Max(p.Y.Max, 0)
			}
			sentence := fmt.Sprintf("Sweep: the share of `%s` episodes in which agents %s, against %s, mean over training seeds with %s t intervals: %s.",
				split, m.Title, ss[0].Param, s.levelPct(), strings.Join(parts, "; "))
			if err := w.save(fileName("sweep", split, m.Name), p, sentence); err != nil {
				return err
			}
		}
	}
	return nil
}
