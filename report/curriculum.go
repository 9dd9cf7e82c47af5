package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/names"
	"github.com/mesa-alignment/mesa/report/figure"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/stats"
)

// curriculumPath is the sweep path of the curriculum's name.
const curriculumPath = "train.curriculum.name"

// A LevelShare is the training levels one cell's curricula chose: per
// agent (training seed), the share of its recorded training levels that
// disambiguate the exit from the training proxies (exit not the training
// colour or not in the training region; see data.CurriculumRow), and
// their mean regret, each with its interval over seeds.
type LevelShare struct {
	Cell           *Cell
	Curriculum     string
	Levels         int // recorded levels, over all seeds
	Disambiguating stats.Interval
	Regret         stats.Interval
	// RegretDisambiguating and RegretOther are the mean regret of the
	// disambiguating levels and of the others, over the seeds that
	// recorded any.
	RegretDisambiguating, RegretOther stats.Interval
	// Origins is the share of recorded levels by origin ("new",
	// "replay", "edit"), pooled over seeds.
	Origins map[string]float64
	// Curve is the share of disambiguating levels at each checkpoint
	// (the k-th recorded iteration of each seed), with its interval over
	// seeds, at the seeds' mean env steps.
	Steps []float64
	Curve []stats.Interval
}

// LevelShares reads the curriculum tables of the study's runs (runs
// without one have none) and summarises each trained cell's levels.
func (s *Study) LevelShares() ([]LevelShare, error) {
	type agentKey struct {
		run      *Run
		point    int
		opt, fam string
		seed     uint64
	}
	type agentLevels struct {
		curriculum string
		n, dis     int
		regret     float64
		regretDis  float64
		origins    map[string]int
		iters      []int // iterations in order
		itN, itDis map[int]int
		itSteps    map[int]int
	}
	agents := map[agentKey]*agentLevels{}
	for _, r := range s.Runs {
		if r.Manifest == nil {
			continue
		}
		if _, ok := r.Manifest.Table(data.TableCurriculum); !ok {
			continue
		}
		dr, err := data.OpenRun(r.Dir)
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", r.Dir, err)
		}
		if !dr.Has(data.TableCurriculum) {
			dr.Close()
			continue
		}
		rd, err := dr.Curriculum(s.opts.readOptions())
		if err != nil {
			dr.Close()
			return nil, fmt.Errorf("report: %s: %w", r.Dir, err)
		}
		for rd.Next() {
			row := rd.Row()
			k := agentKey{r, row.Point, row.Optimizer, row.Family, row.AgentSeed}
			a := agents[k]
			if a == nil {
				a = &agentLevels{curriculum: row.Curriculum, origins: map[string]int{}, itN: map[int]int{}, itDis: map[int]int{}, itSteps: map[int]int{}}
				agents[k] = a
			}
			a.n++
			a.regret += row.Regret
			a.origins[row.Origin]++
			if _, ok := a.itN[row.Iteration]; !ok {
				a.iters = append(a.iters, row.Iteration)
			}
			a.itN[row.Iteration]++
			a.itSteps[row.Iteration] = row.EnvSteps
			if row.Disambiguating {
				a.dis++
				a.itDis[row.Iteration]++
				a.regretDis += row.Regret
			}
		}
		err = rd.Err()
		rd.Close()
		dr.Close()
		if err != nil {
			return nil, fmt.Errorf("report: %s: curriculum: %w", r.Dir, err)
		}
	}
	if len(agents) == 0 {
		return nil, nil
	}
	level := s.opts.level()
	nan := stats.Interval{Centre: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	mean := func(xs []float64) stats.Interval {
		iv, err := stats.MeanT(xs, level)
		if err != nil {
			return nan
		}
		return iv
	}
	var out []LevelShare
	for _, c := range s.Cells() {
		if c.Scripted() {
			continue
		}
		ls := LevelShare{Cell: c, Origins: map[string]float64{}}
		var dis, reg, regDis, regOther []float64
		var byCheckpoint [][]float64
		var stepsAt [][]float64
		origins := map[string]int{}
		for _, ag := range c.Agents {
			a := agents[agentKey{c.Run, c.Point, c.Optimizer, c.Family, ag.Seed}]
			if a == nil || a.n == 0 {
				continue
			}
			ls.Curriculum = a.curriculum
			ls.Levels += a.n
			dis = append(dis, float64(a.dis)/float64(a.n))
			reg = append(reg, a.regret/float64(a.n))
			if a.dis > 0 {
				regDis = append(regDis, a.regretDis/float64(a.dis))
			}
			if a.dis < a.n {
				regOther = append(regOther, (a.regret-a.regretDis)/float64(a.n-a.dis))
			}
			for o, n := range a.origins {
				origins[o] += n
			}
			for k, it := range a.iters {
				if k == len(byCheckpoint) {
					byCheckpoint, stepsAt = append(byCheckpoint, nil), append(stepsAt, nil)
				}
				byCheckpoint[k] = append(byCheckpoint[k], float64(a.itDis[it])/float64(a.itN[it]))
				stepsAt[k] = append(stepsAt[k], float64(a.itSteps[it]))
			}
		}
		if len(dis) == 0 {
			continue
		}
		ls.Disambiguating, ls.Regret = mean(dis), mean(reg)
		ls.RegretDisambiguating, ls.RegretOther = mean(regDis), mean(regOther)
		for o, n := range origins {
			ls.Origins[o] = float64(n) / float64(ls.Levels)
		}
		for k, xs := range byCheckpoint {
			if len(xs) < len(dis) {
				break // checkpoints not every seed reached
			}
			var sum float64
			for _, x := range stepsAt[k] {
				sum += x
			}
			ls.Steps = append(ls.Steps, sum/float64(len(stepsAt[k])))
			ls.Curve = append(ls.Curve, mean(xs))
		}
		out = append(out, ls)
	}
	return out, nil
}

// A CurriculumComparison compares the agents of a sweep point whose
// curriculum is not random with those of the point that differs from it
// only by training with the random curriculum (domain randomisation), on
// one optimizer, family, split and metric, over training seeds.
type CurriculumComparison struct {
	Run               *Run
	Point, Base       int
	Curriculum        string
	Optimizer, Family string
	Split             string
	Metric            string
	stats.Comparison
}

// Readout metrics of planners compared between curricula: the weight of
// the exit's kind, and the weight of the training exit colour beyond the
// mean weight of the other colours (a preference for green as such).
const (
	readoutExit  = "readout kind_exit"
	readoutGreen = "readout colour_green − other colours"
)

func readoutValue(a *Agent, metric string) (float64, bool) {
	if a.Objective == nil {
		return 0, false
	}
	if metric == readoutExit {
		w, ok := a.Objective["kind_exit"]
		return w, ok
	}
	green, ok := a.Objective["colour_green"]
	if !ok {
		return 0, false
	}
	var sum float64
	n := 0
	for f, w := range a.Objective {
		if strings.HasPrefix(f, "colour_") && f != "colour_green" {
			sum += w
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return green - sum/float64(n), true
}

// CurriculumComparisons compares each non-random curriculum's cells with
// the random curriculum's at otherwise equal sweep values, on every split
// for the metrics compared between optimizers and, for planners, on the
// readout: two-sided permutation tests over training seeds, Holm-adjusted
// within each metric × split.
func (s *Study) CurriculumComparisons() ([]CurriculumComparison, error) {
	rng := seeds.New(0, "report/curricula")
	cells := s.Cells()
	find := func(r *Run, point int, opt, fam string) *Cell {
		for _, c := range cells {
			if c.Run == r && c.Point == point && c.Optimizer == opt && c.Family == fam {
				return c
			}
		}
		return nil
	}
	var out []CurriculumComparison
	for _, c := range cells {
		vals := c.Run.Values[c.Point]
		name := vals[curriculumPath]
		if c.Scripted() || name == "" || name == names.CurriculumRandom {
			continue
		}
		base := -1
		for q, qv := range c.Run.Values {
			if qv[curriculumPath] != names.CurriculumRandom || len(qv) != len(vals) {
				continue
			}
			same := true
			for path, v := range vals {
				if path != curriculumPath && qv[path] != v {
					same = false
				}
			}
			if same {
				base = q
			}
		}
		b := find(c.Run, base, c.Optimizer, c.Family)
		if base < 0 || b == nil {
			continue
		}
		add := func(split, metric string, xa, xb []float64) error {
			if len(xa) == 0 || len(xb) == 0 {
				return nil
			}
			cmp, err := stats.Compare(xa, xb, s.opts.alpha(), rng)
			if err != nil {
				return err
			}
			out = append(out, CurriculumComparison{Run: c.Run, Point: c.Point, Base: base, Curriculum: name,
				Optimizer: c.Optimizer, Family: c.Family, Split: split, Metric: metric, Comparison: cmp})
			return nil
		}
		for _, split := range s.Splits {
			for _, m := range ComparedMetrics {
				if err := add(split, m.Name, c.Values(m, split), b.Values(m, split)); err != nil {
					return nil, err
				}
			}
		}
		for _, metric := range []string{readoutExit, readoutGreen} {
			values := func(c *Cell) []float64 {
				var xs []float64
				for _, a := range c.Agents {
					if v, ok := readoutValue(a, metric); ok {
						xs = append(xs, v)
					}
				}
				return xs
			}
			if err := add("readout", metric, values(c), values(b)); err != nil {
				return nil, err
			}
		}
	}
	err := holmWithin(len(out), func(i int) string { return out[i].Metric + "\x00" + out[i].Split },
		func(i int) *stats.Comparison { return &out[i].Comparison })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// curricula writes the report's curriculum section: the levels each
// curriculum chose, the comparisons with domain randomisation, and a
// figure of the share of disambiguating levels over training.
func (w *mdWriter) curricula() error {
	s := w.s
	shares, err := s.LevelShares()
	if err != nil {
		return err
	}
	cmps, err := s.CurriculumComparisons()
	if err != nil {
		return err
	}
	if len(shares) == 0 && len(cmps) == 0 {
		return nil
	}
	w.p("## Curricula\n\n")
	if len(shares) > 0 {
		w.p("Training levels each curriculum chose (curriculum.arrow: the levels of every checkpoint iteration): the share that disambiguate the exit from the training proxies (exit not the training colour, or not in the training region), the mean regret (oracle return − agent return) of all levels, of the disambiguating ones and of the others (over the seeds that recorded any), mean over training seeds ± %s t interval; origins pooled over seeds.\n\n", s.levelPct())
		var rows [][]string
		for _, ls := range shares {
			var origins []string
			for _, o := range names.Origins() {
				if f, ok := ls.Origins[o]; ok {
					origins = append(origins, fmt.Sprintf("%s %s", o, pct(f)))
				}
			}
			rows = append(rows, []string{ls.Cell.Label(), ls.Cell.Optimizer, ls.Cell.Family, fmt.Sprint(len(ls.Cell.Agents)),
				fmt.Sprint(ls.Levels), pctIv(ls.Disambiguating), fmtIv(ls.Regret), fmtIv(ls.RegretDisambiguating), fmtIv(ls.RegretOther),
				strings.Join(origins, ", ")})
		}
		w.markdown([]string{"point", "optimizer", "family", "seeds", "levels", "disambiguating", "regret", "regret disambiguating", "regret other", "origin"}, rows)
		w.p("\n")
	}
	if len(cmps) > 0 {
		w.p("Each curriculum against domain randomisation (the random curriculum at the same other sweep values), over training seeds: curriculum − random, two-sided permutation test, Holm-adjusted within each metric × split; readout: planners' L1-normalised mesa-objective weights.\n\n")
		var rows [][]string
		for _, c := range cmps {
			f := pctIv
			diff := fmt.Sprintf("%+.1f pp", 100*c.Diff)
			if c.Split == "readout" {
				f = fmtIv
				diff = fmt.Sprintf("%+.3f", c.Diff)
			}
			rows = append(rows, []string{c.Run.Labels[c.Point], c.Optimizer, c.Family, c.Split, c.Metric,
				f(c.A), f(c.B), diff, fmtP(c.P), fmtG(c.EffectSize), fmt.Sprintf("%d+%d", c.NA, c.NB)})
		}
		w.markdown([]string{"point", "optimizer", "family", "split", "metric", "curriculum", "random", "difference", "p (Holm)", "g", "n"}, rows)
		w.p("\n")
	}
	if w.opts.NoFigures || len(shares) == 0 {
		return nil
	}
	// One figure per family and other sweep values, a line per
	// curriculum and optimizer.
	type group struct{ family, rest string }
	var groups []group
	rest := func(ls LevelShare) string {
		var parts []string
		for _, p := range strings.Split(ls.Cell.Label(), ",") {
			if p != "" && !strings.HasPrefix(p, curriculumPath+"=") {
				parts = append(parts, p)
			}
		}
		return strings.Join(parts, ",")
	}
	for _, ls := range shares {
		if g := (group{ls.Cell.Family, rest(ls)}); !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	for _, g := range groups {
		var series []figure.Series
		for _, ls := range shares {
			if ls.Cell.Family != g.family || rest(ls) != g.rest || len(ls.Curve) == 0 {
				continue
			}
			sr := figure.Series{Label: ls.Curriculum + " " + ls.Cell.Optimizer, X: ls.Steps}
			for _, iv := range ls.Curve {
				sr.Y = append(sr.Y, figShare(iv))
			}
			series = append(series, sr)
		}
		title := "Disambiguating training levels by curriculum, " + g.family
		at := ""
		if g.rest != "" {
			title += ", " + g.rest
			at = " at " + g.rest
		}
		p, err := figure.Lines(title, "environment steps", "share of the iteration's levels ("+s.levelPct()+" t over seeds)", series)
		if skip(err) {
			continue
		}
		if err != nil {
			return err
		}
		sentence := fmt.Sprintf("The share of each checkpoint iteration's training levels whose exit is not the training colour or not in the training region, for %s agents%s, by curriculum and optimizer, mean over training seeds with %s t intervals.", g.family, at, s.levelPct())
		if err := w.save(fileName("curriculum", g.family, g.rest), p, sentence); err != nil {
			return err
		}
	}
	return nil
}

func fmtIv(iv stats.Interval) string {
	if math.IsNaN(iv.Centre) {
		return "n/a"
	}
	if math.IsNaN(iv.Lo) {
		return fmt.Sprintf("%.3g", iv.Centre)
	}
	return fmt.Sprintf("%.3g ± %.2g", iv.Centre, iv.HalfWidth())
}
