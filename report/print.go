package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"mesa/report/stats"
)

// Print writes the study's tables to w: outcomes per split, attribution,
// the comparisons between base optimizers and the planners' mesa
// objectives. Every share is a mean over training seeds with its interval
// over seeds; scripted references are one agent each and have none.
func (s *Study) Print(w io.Writer) error {
	tabs, err := s.tables()
	if err != nil {
		return err
	}
	for i, t := range tabs {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		if t.title != "" {
			if _, err := fmt.Fprintln(w, t.title); err != nil {
				return err
			}
		}
		if _, err := t.WriteTo(w); err != nil {
			return err
		}
	}
	return nil
}

type titledTable struct {
	title string
	stats.Table
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

func (s *Study) tables() ([]titledTable, error) {
	cells := s.Cells()
	var out []titledTable

	// Outcomes.
	oc := titledTable{title: "Outcomes: share of each agent's episodes, mean over training seeds ± 95% interval (seeds = trained agents; scripted references are one agent)"}
	oc.Header = append(s.whereHeader(), "optimizer", "family", "split", "seeds")
	metrics := []Metric{MetricGoal, MetricProxyThenGoal, MetricProxy, MetricFailure, MetricExcess, MetricReturn}
	for _, m := range metrics {
		oc.Header = append(oc.Header, m.Name)
	}
	oc.Header = append(oc.Header, "proxies pursued (episodes)")
	var anyIv stats.Interval
	for _, c := range cells {
		for _, split := range s.Splits {
			xs := c.Values(MetricGoal, split)
			if len(xs) == 0 {
				continue
			}
			row := append(s.where(c.Run, c.Point), c.Optimizer, c.Family, split, strconv.Itoa(len(xs)))
			for _, m := range metrics {
				iv := s.Interval(c, m, split)
				if c.Scripted() {
					row = append(row, formatValue(iv.Centre, m.Percent))
				} else {
					row = append(row, stats.FormatInterval(iv, m.Percent))
					anyIv = iv
				}
			}
			row = append(row, proxyCounts(c, split))
			oc.AddRow(row...)
		}
	}
	if anyIv.Method != "" {
		oc.AddNote(stats.Footnote(anyIv, nil) + "; proxy − control: share of episodes that pursued a training proxy's target (green, the training corner) minus the share that pursued its control's (a colour or corner training never showed); return: mean base return")
	}
	out = append(out, oc)

	// Attribution.
	at := titledTable{title: "Attribution on the probe split: agents attributed to each candidate objective (inverse planning), and agents that reach a candidate's target first more often than its control's (sign test, Holm 5%)"}
	at.Header = append(s.whereHeader(), "optimizer", "family", "agents", "attributed to", "pursued more than its control")
	for _, c := range cells {
		att, pur := s.AttributionShares(c)
		if len(att) == 0 {
			continue
		}
		row := append(s.where(c.Run, c.Point), c.Optimizer, c.Family, strconv.Itoa(att[0].Of), joinShares(att), joinShares(pur))
		at.AddRow(row...)
	}
	if len(at.Rows) > 0 {
		out = append(out, at)
	}

	// Comparisons.
	cs, err := s.Comparisons()
	if err != nil {
		return nil, err
	}
	if len(cs) > 0 {
		ct := titledTable{title: "Base optimizers compared over training seeds: difference A − B of the mean share"}
		ct.Header = append(s.whereHeader(), "family", "split", "metric", "A", "B", "A − B")
		var inner []stats.Comparison
		for _, c := range cs {
			row := append(s.where(c.Run, c.Point), c.Family, c.Split, c.Metric.Name,
				c.A+" "+stats.FormatInterval(c.Comparison.A, c.Metric.Percent),
				c.B+" "+stats.FormatInterval(c.Comparison.B, c.Metric.Percent),
				stats.FormatComparison(c.Comparison, c.Metric.Percent)+effect(c.EffectSize))
			ct.AddRow(row...)
			inner = append(inner, c.Comparison)
		}
		ct.AddNote(comparisonNote(inner))
		out = append(out, ct)
	}

	// Trends along sweeps.
	trs, err := s.Trends()
	if err != nil {
		return nil, err
	}
	if len(trs) > 0 {
		tt := titledTable{title: fmt.Sprintf("Trends along the sweep of %s: the metric at the first and last point, mean over seeds ± 95%% t, and its mean change per step", trs[0].Param)}
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
		out = append(out, tt)
	}

	// Mesa objectives.
	ob := titledTable{title: "Planners' mesa objectives: L1-normalised readout weight, mean over seeds ± 95% t interval (top 4 by |mean|)"}
	ob.Header = append(s.whereHeader(), "optimizer", "family", "agents", "weights")
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
		var parts []string
		for _, f := range fw[:min(4, len(fw))] {
			parts = append(parts, f.Feature+" "+signed(stats.FormatInterval(f.Weight, false)))
		}
		ob.AddRow(append(s.where(c.Run, c.Point), c.Optimizer, c.Family, strconv.Itoa(n), strings.Join(parts, ", "))...)
	}
	if len(ob.Rows) > 0 {
		out = append(out, ob)
	}
	return out, nil
}

// comparisonNote states the test, the adjustment and the significance
// level of a comparison table.
func comparisonNote(cs []stats.Comparison) string {
	var tests []string
	for _, c := range cs {
		if c.Test != "" && !slices.Contains(tests, c.Test) {
			tests = append(tests, c.Test)
		}
	}
	return fmt.Sprintf("intervals: 95%% t over training seeds; tests: two-sided %s over seeds, Holm-adjusted within each metric × split; ~: p ≥ %s; g: Hedges' g",
		strings.Join(tests, " / "), strconv.FormatFloat(cs[0].Alpha, 'g', -1, 64))
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
