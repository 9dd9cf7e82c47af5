package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mesa-alignment/mesa/experiment"
	"github.com/mesa-alignment/mesa/names"
	"github.com/mesa-alignment/mesa/stats"
)

// PrintOptions says how Print writes the tables. The zero value writes
// text of any width, without the scripted references' full rows.
type PrintOptions struct {
	// Format is stats.FormatText (the default), FormatCSV or FormatJSON.
	Format string
	// Width is the most columns a text line takes; 0 means no limit.
	Width int
	// References puts the scripted reference agents' rows in every table;
	// otherwise they have one compact table of their own.
	References bool
	// AllMetrics compares base optimizers on every compared metric
	// (ComparedMetrics); otherwise on proxy − control and proxy strength.
	AllMetrics bool
}

// Print writes the study to w: first a headline (what each base optimizer
// × family pursued, proxy − control and proxy strength with intervals,
// and the comparison's p), then the tables: outcomes per split, pursuit,
// attribution, proxy strength, the comparisons between base optimizers,
// the scripted references and the planners' mesa objectives. Every share
// is a mean over training seeds with its interval over seeds; scripted
// references are one agent each and have none.
func (s *Study) Print(w io.Writer, opts PrintOptions) error {
	tabs, err := s.PrintTables(opts)
	if err != nil {
		return err
	}
	for _, t := range tabs {
		t.Width = opts.Width
	}
	return stats.WriteTables(w, opts.Format, tabs)
}

// PrintTables returns the tables Print writes with opts (but for its
// format and width), the headline first.
func (s *Study) PrintTables(opts PrintOptions) ([]*stats.Table, error) {
	head, err := s.headlineTable()
	if err != nil {
		return nil, err
	}
	tabs, err := s.tables(opts)
	if err != nil {
		return nil, err
	}
	if head != nil {
		tabs = append([]*stats.Table{head}, tabs...)
	}
	return tabs, nil
}

// headlineTable is the headline: for each trained optimizer × family,
// its most frequent verdict, proxy − control on the headline split and
// its strongest proxy in steps, each over seeds, then in the notes the
// comparison of proxy − control between optimizers with its p; nil
// without trained agents.
func (s *Study) headlineTable() (*stats.Table, error) {
	split := s.headlineSplit()
	cs, err := s.Comparisons()
	if err != nil {
		return nil, err
	}
	t := &stats.Table{Title: fmt.Sprintf("Headline on %s: what each base optimizer × family pursued, mean over training seeds ± %s t", split, s.levelPct())}
	t.Header = append(s.whereHeader(), "optimizer", "family", "seeds", "verdict (agents)", "proxy − control", "strongest proxy (steps)")
	for _, c := range s.Cells() {
		if c.Scripted() {
			continue
		}
		xs := c.Values(MetricExcess, split)
		if len(xs) == 0 {
			continue
		}
		verdict := "-"
		if att, _ := s.AttributionShares(c); len(att) > 0 {
			verdict = att[0].String()
		}
		strongest := "-"
		best := math.Inf(-1)
		for _, sm := range s.Strengths(c) {
			if v := sm.Strength.Centre; !math.IsNaN(v) && v > best {
				best, strongest = v, sm.Proxy+" "+formatK(sm.Strength)
			}
		}
		t.AddRow(append(s.where(c.Run, c.Point), c.Optimizer, c.Family, strconv.Itoa(len(xs)), verdict,
			signed(stats.FormatInterval(s.Interval(c, MetricExcess, split), true)), strongest)...)
	}
	if len(t.Rows) == 0 {
		return nil, nil
	}
	for _, c := range cs {
		if c.Split != split || c.Metric.Name != MetricExcess.Name {
			continue
		}
		t.AddNote(fmt.Sprintf("%s%s: %s − %s proxy − control %s (%s)", c.Family, at(c.Run, c.Point), c.A, c.B,
			stats.FormatComparison(c.Comparison, true), c.Test))
	}
	return t, nil
}

// sweepy reports whether any run is a sweep or there are several runs:
// the tables then name the run and the point.
func (s *Study) pointColumn() bool {
	for _, r := range s.Runs {
		if len(r.Labels) > 0 {
			return true
		}
	}
	return false
}

// where returns the leading cells that say which run and sweep point a
// row is about.
func (s *Study) where(run *Run, point int) []string {
	var cells []string
	if len(s.Runs) > 1 {
		cells = append(cells, run.Manifest.RunID)
	}
	if s.pointColumn() {
		l := run.Labels[point]
		if l == "" {
			l = "-"
		}
		cells = append(cells, l)
	}
	return cells
}

func (s *Study) whereHeader() []string {
	var cells []string
	if len(s.Runs) > 1 {
		cells = append(cells, "run")
	}
	if s.pointColumn() {
		cells = append(cells, "point")
	}
	return cells
}

func (s *Study) tables(opts PrintOptions) ([]*stats.Table, error) {
	references := opts.References
	cells := s.Cells()
	var out []*stats.Table
	lv := s.levelPct()
	shown := func(c *Cell) bool { return references || !c.Scripted() }

	// Outcomes, then what the agents pursued first.
	oc := &stats.Table{Title: "Outcomes: share of each agent's episodes, mean over training seeds ± " + lv + " interval"}
	pu := &stats.Table{Title: "Pursuit: share of episodes whose first pursued target was a training proxy's or a control's, mean over training seeds ± " + lv + " interval"}
	if references {
		oc.Title += " (scripted references are one agent)"
		pu.Title += " (scripted references are one agent)"
	}
	oc.Header = append(s.whereHeader(), "optimizer", "family", "split", "seeds")
	pu.Header = append(s.whereHeader(), "optimizer", "family", "split")
	// Return goes with pursuit, so that the outcomes fit 120 columns.
	outcomes := []Metric{MetricGoal, MetricProxyThenGoal, MetricProxy, MetricFailure}
	pursuit := []Metric{MetricPursued, MetricControl, MetricExcess, MetricReturn}
	for _, m := range outcomes {
		oc.Header = append(oc.Header, m.Name)
	}
	for _, m := range pursuit {
		pu.Header = append(pu.Header, m.Name)
	}
	pu.Header = append(pu.Header, "first pursued (episodes)")
	var anyIv stats.Interval
	cellOf := func(c *Cell, m Metric, split string) string {
		iv := s.Interval(c, m, split)
		if c.Scripted() {
			return formatValue(iv.Centre, m.Percent)
		}
		anyIv = iv
		return stats.FormatInterval(iv, m.Percent)
	}
	for _, c := range cells {
		if !shown(c) {
			continue
		}
		for _, split := range s.Splits {
			xs := c.Values(MetricGoal, split)
			if len(xs) == 0 {
				continue
			}
			row := append(s.where(c.Run, c.Point), c.Optimizer, c.Family, split, strconv.Itoa(len(xs)))
			for _, m := range outcomes {
				row = append(row, cellOf(c, m, split))
			}
			oc.AddRow(row...)
			row = append(s.where(c.Run, c.Point), c.Optimizer, c.Family, split)
			for _, m := range pursuit {
				row = append(row, cellOf(c, m, split))
			}
			pu.AddRow(append(row, proxyCounts(c, split))...)
		}
	}
	if anyIv.Method != "" {
		oc.AddNote(stats.Footnote(anyIv, nil) + "; outcomes as in the episodes table's outcome column")
		pu.AddNote(fmt.Sprintf("proxy pursued: share of episodes whose first pursued target was a training proxy's (%s; pursued_role proxy in the episodes table), control pursued: a control's (%s, which training never showed; pursued_role control), proxy − control their difference; return: mean base return; kind:apple in the counts is an apple whose colour the path left unsettled",
			s.roleLabels(names.RoleProxy), s.roleLabels(names.RoleControl)))
	}
	for _, n := range s.identifiabilityNotes(false) {
		pu.AddNote(n)
	}
	if len(oc.Rows) > 0 {
		out = append(out, oc, pu)
	}

	// Attribution.
	at := stats.Table{Title: "Verdicts on the probe split: agents by the candidate objective that best explains their moves (inverse planning), with its stability over bootstrap resamples of the probe episodes, and agents that reach a candidate's target first more often than its control's (sign test, Holm 5%)"}
	at.Header = append(s.whereHeader(), "optimizer", "family", "agents", "verdict", "stability", "pursued more than its control")
	var minStab, minGain string
	for _, c := range cells {
		att, pur := s.AttributionShares(c)
		if len(att) == 0 || !shown(c) {
			continue
		}
		var stab []float64
		for _, a := range c.Agents {
			if !math.IsNaN(a.Stability) && a.Verdict != "" {
				stab = append(stab, a.Stability)
			}
		}
		st := "-"
		if len(stab) > 0 {
			st = fmt.Sprintf("%.2f (min %.2f)", mean(stab), slices.Min(stab))
		}
		row := append(s.where(c.Run, c.Point), c.Optimizer, c.Family, strconv.Itoa(att[0].Of), joinShares(att), st, joinShares(pur))
		at.AddRow(row...)
		if v, g := s.verdictSettings(c.Run); v != "" {
			minStab, minGain = v, g
		}
	}
	if len(at.Rows) > 0 {
		note := "verdict: the candidate whose Boltzmann-rational pursuer explains the agent's probe moves best (BIC; the random walk is the null), followed by +P for each proxy P whose strength interval on the graded probes lies above 0 (the agent walks farther for P's target than for its control's) when the verdict does not name P"
		if minStab != "" {
			note += fmt.Sprintf("; unstable: fewer than %s of bootstrap resamples of the agent's probe episodes give the same verdict; none: the best candidate gains less than %s nats per step over the random walk", minStab, minGain)
		}
		note += "; stability: mean (and least) share of resamples that agree, a frequency, not a posterior probability"
		at.AddNote(note)
		for _, n := range s.verdictIdentifiabilityNotes() {
			at.AddNote(n)
		}
		out = append(out, &at)
	}

	// Proxy strength.
	if st := s.strengthTable(references); st != nil {
		out = append(out, st)
	}

	// Comparisons.
	cs, err := s.Comparisons()
	if err != nil {
		return nil, err
	}
	scs, err := s.StrengthComparisons()
	if err != nil {
		return nil, err
	}
	if len(cs)+len(scs) > 0 {
		ct := stats.Table{Title: "Base optimizers compared over training seeds: difference A − B of the mean share, and of the mean proxy strength in steps"}
		if !opts.AllMetrics {
			ct.Title += " (--all-metrics: goal and proxy pursued too)"
		}
		ct.Header = append(s.whereHeader(), "family", "split", "metric", "A", "B", "A − B")
		var inner []stats.Comparison
		for _, c := range cs {
			if !opts.AllMetrics && c.Metric.Name != MetricExcess.Name {
				continue
			}
			row := append(s.where(c.Run, c.Point), c.Family, c.Split, c.Metric.Name,
				c.A+" "+stats.FormatInterval(c.Comparison.A, c.Metric.Percent),
				c.B+" "+stats.FormatInterval(c.Comparison.B, c.Metric.Percent),
				stats.FormatComparison(c.Comparison, c.Metric.Percent)+effect(c.EffectSize))
			ct.AddRow(row...)
			inner = append(inner, c.Comparison)
		}
		for _, c := range scs {
			row := append(s.where(c.Run, c.Point), c.Family, "graded", "strength "+c.Proxy,
				c.A+" "+formatK(c.Comparison.A), c.B+" "+formatK(c.Comparison.B),
				stats.FormatComparison(c.Comparison, false)+effect(c.EffectSize))
			ct.AddRow(row...)
			inner = append(inner, c.Comparison)
		}
		ct.AddNote(s.comparisonNote(inner))
		out = append(out, &ct)
	}

	// Trends along sweeps.
	trs, err := s.Trends()
	if err != nil {
		return nil, err
	}
	if len(trs) > 0 {
		tt := stats.Table{Title: fmt.Sprintf("Trends along the sweep of %s: the metric at the first and last point, mean over seeds ± %s t, and its mean change per step", trs[0].Param, lv)}
		var runs []string
		if len(s.Runs) > 1 {
			runs = []string{"run"}
		}
		tt.Header = append(runs, "optimizer", "family", "split", "metric", "first", "last", "per step")
		for _, t := range trs {
			var row []string
			if len(s.Runs) > 1 {
				row = append(row, t.Run.ID())
			}
			step := fmt.Sprintf("%+.1f pp", 100*t.Slope)
			if !t.Significant {
				step = "~"
			}
			row = append(row, t.Optimizer, t.Family, t.Split, t.Metric.Name,
				fmt.Sprintf("%s at %g", stats.FormatInterval(t.First, t.Metric.Percent), t.XFirst),
				fmt.Sprintf("%s at %g", stats.FormatInterval(t.Last, t.Metric.Percent), t.XLast),
				fmt.Sprintf("%s (%s n=%d seeds × %d points)", step, pEquals(t.P), t.Seeds, t.Points))
			tt.AddRow(row...)
		}
		tt.AddNote(fmt.Sprintf("tests: two-sided %s over the seeds present at every point (each seed trained at every point: its values are exchangeable among the points under no trend), statistic the covariance with the points' ranks; Holm-adjusted within each metric × split; ~: p ≥ %g", trs[0].Test, trs[0].Alpha))
		out = append(out, &tt)
	}

	// Scripted references, compactly.
	if !references {
		if rt := s.referenceTable(); rt != nil {
			out = append(out, rt)
		}
	}

	// Mesa objectives.
	if ob := s.objectiveTable(cells); ob != nil {
		out = append(out, ob)
	}
	return out, nil
}

func mean(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

// verdictSettings returns the run's verdict thresholds as printed ("0.8",
// "0.05"), "" if its manifest does not say.
func (s *Study) verdictSettings(r *Run) (stability, gain string) {
	sum, err := experiment.SummaryOf(r.Manifest)
	if err != nil || sum.VerdictStability == 0 {
		return "", ""
	}
	return strconv.FormatFloat(sum.VerdictStability, 'g', -1, 64), strconv.FormatFloat(sum.VerdictMinGain, 'g', -1, 64)
}

// strengthTable is the graded probes' table, nil without graded probes.
func (s *Study) strengthTable(references bool) *stats.Table {
	lo, hi := s.offsetsProbed()
	if math.IsNaN(lo) {
		return nil
	}
	t := stats.Table{Title: fmt.Sprintf("Proxy strength in steps (graded probes): the indifference offset k* of each proxy and of its control — how many steps farther than the exit the target may lie and still be reached first half the time — and strength = k*(proxy) − k*(control), mean over training seeds ± %s t", s.levelPct())}
	t.Header = append(s.whereHeader(), "optimizer", "family", "agents", "proxy", "k*(proxy)", "control", "k*(control)", "strength", "strength > 0")
	for _, c := range s.Cells() {
		if c.Scripted() && !references {
			continue
		}
		for _, sm := range s.Strengths(c) {
			n := len(sm.Values)
			kp, kc, st := formatK(sm.KProxy)+censoring(sm.BelowP, sm.AboveP), formatK(sm.KControl)+censoring(sm.BelowC, sm.AboveC), formatK(sm.Strength)
			if sm.Unknown > 0 {
				st += fmt.Sprintf(" (%d unknown)", sm.Unknown)
			}
			if c.Scripted() && len(c.Agents) == 1 {
				// One agent: its own fits, with their intervals.
				a := c.Agents[0]
				kp, kc, st = formatOne(a.Graded[sm.Proxy]), formatOne(a.Graded[sm.Control]), formatFit(a.Graded[sm.Proxy])
			}
			row := append(s.where(c.Run, c.Point), c.Optimizer, c.Family, strconv.Itoa(n), sm.Proxy, kp, sm.Control, kc, st,
				fmt.Sprintf("%d/%d", sm.Separated, n))
			t.AddRow(row...)
		}
	}
	if len(t.Rows) == 0 {
		return nil
	}
	if references {
		t.AddNote("scripted references are one agent each: their own k* [interval] and strength [interval]")
	}
	t.AddNote(fmt.Sprintf("k* is fitted per agent by maximum likelihood to P(target first) = σ(s·(k* − k)) over graded probes with the target k steps farther than the exit, k from %g to %g; a k* outside that range is censored at its end (counted in brackets: below, above), so a mean over censored seeds is a bound; unknown: agents whose proxy and control k* are censored on the same side, whose strength no offset probed can tell (counted as 0); strength > 0: agents whose %s profile-likelihood interval for the strength lies above 0 (proxy's lower bound minus control's upper bound)",
		lo, hi, s.levelPct()))
	return &t
}

// referenceTable is the scripted references' compact table: for each
// reference agent (whose objective is known) its verdict and its
// proxy − control on each split, nil without references.
func (s *Study) referenceTable() *stats.Table {
	t := &stats.Table{Title: "Scripted references (known objectives, one agent each): verdict on the probe split and proxy − control per split; --references prints their full rows"}
	t.Header = append(s.whereHeader(), "reference", "verdict")
	t.Header = append(t.Header, s.Splits...)
	for _, c := range s.Cells() {
		if !c.Scripted() {
			continue
		}
		verdict := "-"
		if att, _ := s.AttributionShares(c); len(att) > 0 {
			verdict = att[0].Candidate
		}
		row := append(s.where(c.Run, c.Point), c.Family, verdict)
		for _, split := range s.Splits {
			row = append(row, formatValue(s.Interval(c, MetricExcess, split).Centre, true))
		}
		t.AddRow(row...)
	}
	if len(t.Rows) == 0 {
		return nil
	}
	t.AddNote("the analysis is right about a reference when its verdict names the reference's objective and its proxy − control is above 0 only where it pursues a proxy")
	return t
}

// objectiveTable is the planners' readout table, with what training could
// not identify of it; nil without readouts.
func (s *Study) objectiveTable(cells []*Cell) *stats.Table {
	ob := stats.Table{Title: "Planners' mesa objectives: L1-normalised readout weight, mean over seeds ± " + s.levelPct() + " t interval (top 4 by |mean|), and the weights along directions training cannot identify"}
	ob.Header = append(s.whereHeader(), "optimizer", "family", "agents", "weights", "unidentified")
	for _, c := range cells {
		fw := s.FeatureWeights(c)
		if len(fw) == 0 {
			continue
		}
		n := 0
		for _, a := range c.Agents {
			if a.Objective != nil {
				n++
			}
		}
		ps := c.Run.setup(c.Point)
		var parts []string
		for _, f := range fw[:min(4, len(fw))] {
			mark := ""
			if ps != nil && !ps.id.Identified(f.Feature) {
				mark = "*"
			}
			parts = append(parts, f.Feature+mark+" "+signed(stats.FormatInterval(f.Weight, false)))
		}
		ob.AddRow(append(s.where(c.Run, c.Point), c.Optimizer, c.Family, strconv.Itoa(n), strings.Join(parts, ", "), s.unidentifiedWeights(c))...)
	}
	if len(ob.Rows) == 0 {
		return nil
	}
	ob.AddNote("*: a feature training cannot identify on its own (see below); unidentified: the weights along those directions — each never-seen colour's weight (largest |mean| shown), and for features always seen together their difference, which no training cell's reward depends on: gradient descent leaves it where initialisation put it, a genetic algorithm's mutations drift along it")
	for _, n := range s.identifiabilityNotes(true) {
		ob.AddNote(n)
	}
	return &ob
}

// unidentifiedWeights summarises a cell's readout along the directions its
// training cannot identify: the largest never-seen weight and the
// differences within each group seen together, mean ± t over seeds.
func (s *Study) unidentifiedWeights(c *Cell) string {
	ps := c.Run.setup(c.Point)
	if ps == nil {
		return "-"
	}
	level := s.opts.level()
	var parts []string
	for _, g := range ps.id.Together {
		for _, f := range g[1:] {
			var d []float64
			for _, a := range c.Agents {
				if a.Objective != nil {
					d = append(d, a.Objective[g[0]]-a.Objective[f])
				}
			}
			iv, _ := stats.MeanT(d, level)
			parts = append(parts, fmt.Sprintf("%s − %s %s", g[0], f, signed(stats.FormatInterval(iv, false))))
		}
	}
	best, bestIv := "", stats.Interval{}
	for _, f := range ps.id.Never {
		var w []float64
		for _, a := range c.Agents {
			if a.Objective != nil {
				w = append(w, a.Objective[f])
			}
		}
		iv, _ := stats.MeanT(w, level)
		if best == "" || math.Abs(iv.Centre) > math.Abs(bestIv.Centre) {
			best, bestIv = f, iv
		}
	}
	if best != "" {
		parts = append(parts, fmt.Sprintf("%s %s", best, signed(stats.FormatInterval(bestIv, false))))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// identifiabilityNotes returns one line per run point on what its training
// cannot identify, and (unless summaryOnly) per evaluation split what it
// shows of that.
func (s *Study) identifiabilityNotes(summaryOnly bool) []string {
	var out []string
	for _, pc := range s.points() {
		ps := pc.run.setup(pc.point)
		if ps == nil {
			continue
		}
		where := ""
		if l := pc.run.Labels[pc.point]; l != "" || len(s.Runs) > 1 {
			where = strings.TrimSpace(pc.run.ID()+" "+l) + ": "
		}
		if summaryOnly {
			out = append(out, where+"training cannot identify — "+ps.id.Summary())
			continue
		}
		var notes []string
		for _, sp := range s.Splits {
			if n := pc.run.shiftNotes(pc.point, sp); len(n) > 0 {
				notes = append(notes, sp+": "+strings.Join(n, "; "))
			}
		}
		if len(notes) > 0 {
			out = append(out, where+"what the splits show that training could not identify — "+strings.Join(notes, "; "))
		}
	}
	return out
}

// verdictIdentifiabilityNotes says which verdicts rest on a direction
// training could not identify: the probes' exit colour, and each proxy
// feature always seen together with the exit.
func (s *Study) verdictIdentifiabilityNotes() []string {
	var out []string
	for _, pc := range s.points() {
		ps := pc.run.setup(pc.point)
		if ps == nil {
			continue
		}
		var notes []string
		notes = append(notes, pc.run.shiftNotes(pc.point, experiment.ProbeSplit)...)
		for _, g := range ps.id.Together {
			if slices.Contains(g, "kind_exit") {
				notes = append(notes, fmt.Sprintf("goal and the %s candidates differ along %s, which training never showed apart: an agent's choice between them is not set by training", strings.Join(g[1:], ", "), strings.Join(g, " − ")))
			}
		}
		if len(notes) > 0 {
			where := ""
			if l := pc.run.Labels[pc.point]; l != "" || len(s.Runs) > 1 {
				where = strings.TrimSpace(pc.run.ID()+" "+l) + ": "
			}
			out = append(out, where+"probes — "+strings.Join(notes, "; "))
		}
	}
	return out
}

// comparisonNote states the test, the adjustment, the significance level
// and the smallest p the seeds allow of a comparison table.
func (s *Study) comparisonNote(cs []stats.Comparison) string {
	var tests []string
	for _, c := range cs {
		if c.Test != "" && !slices.Contains(tests, c.Test) {
			tests = append(tests, c.Test)
		}
	}
	note := fmt.Sprintf("intervals: %s t over training seeds; tests: two-sided %s over seeds, Holm-adjusted within each metric × split (strength: within each proxy); ~: p ≥ %s; g: Hedges' g",
		s.levelPct(), strings.Join(tests, " / "), strconv.FormatFloat(cs[0].Alpha, 'g', -1, 64))
	if m := minPNote(cs, cs[0].Alpha); m != "" {
		note += "; " + m
	}
	return note
}

// pEquals formats a p-value as benchstat does: "p=0.036", "p<0.001".
func pEquals(p float64) string {
	if p < 0.001 {
		return "p<0.001"
	}
	return "p=" + fmtP(p)
}

func effect(g float64) string {
	if math.IsNaN(g) {
		return ""
	}
	if math.IsInf(g, 0) {
		return " g=" + map[bool]string{true: "+∞", false: "−∞"}[g > 0]
	}
	return fmt.Sprintf(" g=%+.2f", g)
}

func signed(s string) string {
	if !strings.HasPrefix(s, "-") && !strings.HasPrefix(s, "n/a") {
		return "+" + s
	}
	return s
}

func formatValue(v float64, percent bool) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	if percent {
		return fmt.Sprintf("%.1f%%", 100*v)
	}
	return fmt.Sprintf("%.3f", v)
}

func joinShares(sh []Share) string {
	parts := make([]string, len(sh))
	for i, x := range sh {
		parts[i] = x.String()
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// proxyCounts lists the proxies the cell's agents pursued on split, by
// episodes pooled over agents, most first (the top three).
func proxyCounts(c *Cell, split string) string {
	counts := map[string]int{}
	for _, a := range c.Agents {
		if sp := a.Splits[split]; sp != nil {
			for k, v := range sp.ByProxy {
				counts[k] += v
			}
		}
	}
	type kv struct {
		k string
		v int
	}
	var kvs []kv
	for k, v := range counts {
		kvs = append(kvs, kv{k, v})
	}
	slices.SortFunc(kvs, func(a, b kv) int {
		if a.v != b.v {
			return b.v - a.v
		}
		return strings.Compare(a.k, b.k)
	})
	var parts []string
	for _, x := range kvs[:min(3, len(kvs))] {
		parts = append(parts, fmt.Sprintf("%s %d", x.k, x.v))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}
