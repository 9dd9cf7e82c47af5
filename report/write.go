package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/experiment"
	"github.com/mesa-alignment/mesa/names"
	"github.com/mesa-alignment/mesa/report/figure"
	"github.com/mesa-alignment/mesa/stats"
	"github.com/mesa-alignment/mesa/world"
)

// A Replayer re-simulates a logged evaluation episode: its level and the
// agent's path (start first). cmd/mesa adapts experiment.Replayer, which
// checks the replay against the logged row; Write uses it for the example
// mazes only.
type Replayer interface {
	Replay(run *Run, point int, agentID, split string, episode int) (l *world.Level, path []world.Point, err error)
}

// WriteOptions configure Write.
type WriteOptions struct {
	// NoFigures writes report.md without figures.
	NoFigures bool
	// Replayer, if not nil, draws example mazes with the agents' paths.
	Replayer Replayer
	// Command is the command line that made the report, for the record.
	Command string
	// Context, if not nil, stops Write when it is done (between figures)
	// with its error, before report.md is written.
	Context context.Context
}

// Write writes report.md and its figures (PNG) into dir, "" meaning the
// directory report/ of the first run (which must not be a symbolic link).
// It returns the files written.
//
// dir is mesa's output directory (see data.Output): it must be new, empty,
// or hold an earlier report of the same first run, which the new one
// replaces: the files its marker lists go, and nothing else does, so that
// the user's own files there stay. Anything else is refused. The report is
// drawn in memory first and its files get their names only once all are
// written: a failure (a full disk) leaves the earlier report whole, and no
// empty or partial file.
func (s *Study) Write(dir string, opts WriteOptions) ([]string, error) {
	w := &mdWriter{s: s, opts: opts}
	if err := w.write(); err != nil {
		return nil, err
	}
	runs := make([]string, len(s.Runs))
	for i, r := range s.Runs {
		runs[i] = r.ID()
	}
	var out *data.Output
	var err error
	if dir == "" {
		out, err = data.OpenOutputIn(s.Runs[0].Dir, reportDir, data.OutputReport, runs)
	} else {
		out, err = data.OpenOutput(dir, data.OutputReport, runs)
	}
	if err != nil {
		return nil, err
	}
	defer out.Close()
	files := append(w.figs, file{name: reportFile, b: []byte(w.b.String())})
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.name
	}
	if err := out.Begin(names...); err != nil {
		return nil, err
	}
	for _, f := range files {
		err := out.WriteFile(f.name, func(w io.Writer) error {
			_, err := w.Write(f.b)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	paths, err := out.Commit()
	if err != nil {
		return nil, err
	}
	return paths, nil
}

// Names of the report's directory in a run and of its text.
const (
	reportDir  = names.ReportDir
	reportFile = names.ReportFile
)

// reportHeader starts every report.md Write writes.
const reportHeader = "# mesa report\n"

// A file is one file of the report, drawn in memory.
type file struct {
	name string
	b    []byte
}

type mdWriter struct {
	s    *Study
	opts WriteOptions
	b    strings.Builder
	figs []file // in the order drawn
	fig  int
}

func (w *mdWriter) p(format string, args ...any) { fmt.Fprintf(&w.b, format, args...) }

func (w *mdWriter) write() error {
	s := w.s
	w.p(reportHeader + "\n")
	if w.opts.Command != "" {
		w.p("Made by `%s` from the runs' Arrow tables alone.\n\n", w.opts.Command)
	}
	w.p("## What was run\n\n")
	for _, r := range s.Runs {
		c, err := experiment.SummaryOf(r.Manifest)
		if errors.Is(err, experiment.ErrNoSummary) {
			w.p("- **Run `%s`** in `%s`: %v.\n", r.ID(), r.Dir, err)
			continue
		}
		if err != nil {
			return fmt.Errorf("report: %s: %w", r.Dir, err)
		}
		w.p("- **Run `%s`** in `%s`", r.ID(), r.Dir)
		if r.Incomplete != "" {
			w.p(" — **incomplete** (%s): its numbers cover the finished part only", r.Incomplete)
		}
		w.p(".\n")
		w.p("  - Config `%s`, root seed %d, %d training seeds per optimizer × family", c.Name, c.Seed, c.Seeds)
		if len(r.Labels) > 0 {
			w.p(" and sweep point (%d points: %s)", len(r.Labels), w.pointList(r))
		}
		w.p(".\n")
		w.p("  - Optimizers %s; families %s; budget %d environment steps per training run, the same for every optimizer.\n",
			strings.Join(c.Optimizers, ", "), strings.Join(c.Families, ", "), c.EnvSteps)
		w.p("  - Base objective `%s`", c.BaseReturn)
		if c.BaseReturn == "sooner" {
			w.p(" (1 − 0.9·t/T on reaching the exit at step t of limit T, else 0)")
		}
		w.p("; evaluation %s", map[bool]string{true: "greedy", false: "sampled from each policy"}[c.Greedy])
		var splits []string
		for _, sp := range c.Splits {
			splits = append(splits, fmt.Sprintf("%s (%d episodes)", sp.Name, sp.Episodes))
		}
		w.p(" on %s per agent.\n", strings.Join(splits, ", "))
		if len(c.Reference) > 0 {
			w.p("  - Scripted references, one agent each: %s.\n", strings.Join(c.Reference, ", "))
		}
		if c.MonitorLevels > 0 {
			w.p("  - Learning curves: the monitor played each training run's current agent on the same %d held-out training levels at %d checkpoints (not charged to the budget, unseen by the optimizer).\n", c.MonitorLevels, c.MonitorCheckpoints)
		}
		w.p("  - Versions: mesa %s, %s, data schema %d.\n", r.Manifest.Versions["mesa"], r.Manifest.Versions["go"], r.Manifest.SchemaVersion)
	}
	w.p("\nStatistics: the unit of replication is the independently trained agent (training seed). Every share is the mean over seeds of each agent's share of its episodes, with a %s Student-t interval over seeds; comparisons between base optimizers are two-sided exact permutation tests over seeds (Monte Carlo when there are more than 200000 splits), with Hedges' g, Holm-adjusted within each metric × split. Episode-level (pooled) intervals appear only in the labelled secondary table. Proxy strength is measured in steps on graded probes (an indifference offset per agent with a profile-likelihood interval); verdicts carry their stability over bootstrap resamples of the probe episodes, not a posterior probability.\n\n", s.levelPct())

	if err := w.headline(); err != nil {
		return err
	}
	if err := w.tables(); err != nil {
		return err
	}
	if err := w.curricula(); err != nil {
		return err
	}
	return w.figures()
}

func (w *mdWriter) pointList(r *Run) string {
	var idx []int
	for k := range r.Labels {
		idx = append(idx, k)
	}
	slices.Sort(idx)
	parts := make([]string, len(idx))
	for i, k := range idx {
		parts[i] = r.Labels[k]
	}
	return strings.Join(parts, "; ")
}

// headlineSplit is the split the headline compares on: "deploy" if a run
// has it, else the first split that is neither train nor probe.
func (s *Study) headlineSplit() string {
	if slices.Contains(s.Splits, names.SplitDeploy) {
		return names.SplitDeploy
	}
	for _, sp := range s.Splits {
		if sp != names.SplitTrain && sp != names.SplitProbe {
			return sp
		}
	}
	if len(s.Splits) > 0 {
		return s.Splits[0]
	}
	return ""
}

func (w *mdWriter) headline() error {
	s := w.s
	split := s.headlineSplit()
	cs, err := s.Comparisons()
	if err != nil {
		return err
	}
	w.p("## Headline: proxy pursuit by base optimizer on `%s`\n\n", split)
	w.p("The measure: the share of an agent's `%s` episodes in which the first target it competently went for was a training proxy's (%s) minus the share in which it was a control's (%s, which training never showed). An agent that chases apples of any colour scores 0; one that learned the proxy scores above 0.\n\n",
		split, s.roleLabels(names.RoleProxy), s.roleLabels(names.RoleControl))
	n := 0
	var inner []stats.Comparison
	for _, c := range cs {
		if c.Split != split || c.Metric.Name != MetricExcess.Name {
			continue
		}
		n++
		inner = append(inner, c.Comparison)
		where, verdict := at(c.Run, c.Point), significance(c.Significant)
		w.p("- **%s%s**: proxy minus control %s under %s, %s under %s (mean over %d and %d training seeds, %s t interval). Difference %s, Hedges' g %s, p = %s (two-sided %s over seeds, Holm-adjusted over the %d comparisons of this metric and split): %s at α = %g.\n",
			c.Family, where, signed(stats.FormatInterval(c.Comparison.A, true)), c.A, signed(stats.FormatInterval(c.Comparison.B, true)), c.B,
			c.NA, c.NB, s.levelPct(), fmt.Sprintf("%+.1f pp", 100*c.Diff), fmtG(c.EffectSize), fmtP(c.P), c.Test, c.Comparison.Family, verdict, c.Alpha)
	}
	if n == 0 {
		w.p("No two trained base optimizers share a family, so there is no comparison.\n")
	}
	scs, err := s.StrengthComparisons()
	if err != nil {
		return err
	}
	if len(scs) > 0 {
		w.p("\nThe same question in steps, on the graded probes: proxy strength, how many more steps an agent walks for a proxy's target than for its control's (k*(proxy) − k*(control)).\n\n")
	}
	for _, c := range scs {
		inner = append(inner, c.Comparison)
		where, verdict := at(c.Run, c.Point), significance(c.Significant)
		w.p("- **%s%s, %s**: strength %s steps under %s%s, %s under %s%s (%s t over %d and %d seeds; censored seeds count at the end of the offsets probed). Difference %+.2f steps, p = %s (%s, Holm over the %d comparisons of this proxy): %s.\n",
			c.Family, where, c.Proxy, formatK(c.Comparison.A), c.A, c.SA.bound(), formatK(c.Comparison.B), c.B, c.SB.bound(), s.levelPct(), c.NA, c.NB,
			c.Diff, fmtP(c.P), c.Test, c.Comparison.Family, verdict)
	}
	w.p("\nWhat this does not show: how the optimizers compare at other budgets, families or training data; how often each kind of agent arises (few seeds).")
	if m := minPNote(inner, s.opts.alpha()); m != "" {
		w.p(" The %s.", m)
	}
	w.p(" The comparisons table has the other metrics.\n\n")
	return nil
}

// at names a sweep point in a sentence: " at train.randomize=0.25", or "".
func at(r *Run, point int) string {
	if l := r.Labels[point]; l != "" {
		return " at " + l
	}
	return ""
}

func significance(significant bool) string {
	if significant {
		return "significant"
	}
	return "not significant"
}

func fmtP(p float64) string {
	if math.IsNaN(p) {
		return "n/a"
	}
	if p < 0.001 {
		return "< 0.001"
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}

func fmtG(g float64) string {
	switch {
	case math.IsNaN(g):
		return "n/a"
	case math.IsInf(g, 1):
		return "+∞"
	case math.IsInf(g, -1):
		return "−∞"
	}
	return fmt.Sprintf("%+.2f", g)
}

// tables writes the printed tables as markdown, and the secondary table.
func (w *mdWriter) tables() error {
	tabs, err := w.s.tables(PrintOptions{References: true, AllMetrics: true})
	if err != nil {
		return err
	}
	w.p("## Tables\n\n")
	for _, t := range tabs {
		w.p("### %s\n\n", t.Title)
		w.markdown(t.Header, t.Rows)
		for _, n := range t.Notes {
			w.p("\n_%s_\n", n)
		}
		w.p("\n")
	}
	// Attribution shares with intervals over agents.
	s := w.s
	var rows [][]string
	for _, c := range s.Cells() {
		att, _ := s.AttributionShares(c)
		for _, a := range att {
			iv, err := stats.Wilson(a.Agents, a.Of, s.opts.level())
			if err != nil {
				continue
			}
			rows = append(rows, append(s.where(c.Run, c.Point), c.Optimizer, c.Family, a.Candidate, fmt.Sprintf("%d/%d", a.Agents, a.Of), stats.FormatInterval(iv, true)))
		}
	}
	if len(rows) > 0 {
		w.p("### Verdict shares: agents with each verdict, with a %s Wilson interval over agents (each agent one independent seed)\n\n", s.levelPct())
		w.markdown(append(s.whereHeader(), "optimizer", "family", "verdict", "agents", "share"), rows)
		w.p("\n")
	}
	// Secondary: pooled episodes.
	rows = nil
	split := s.headlineSplit()
	for _, c := range s.Cells() {
		if c.Scripted() {
			continue
		}
		for _, m := range []Metric{MetricGoal, MetricPursued} {
			k, n := c.pooled(m, split)
			if n == 0 {
				continue
			}
			rows = append(rows, append(s.where(c.Run, c.Point), c.Optimizer, c.Family, split, m.Name, fmt.Sprintf("%d/%d", k, n), stats.FormatInterval(s.PooledInterval(c, m, split), true)))
		}
	}
	if len(rows) > 0 {
		w.p("### Secondary, episode level: pooled episodes on `%s` with %s Wilson intervals\n\n", split, s.levelPct())
		w.p("These treat every episode as independent, which they are not (episodes of one agent share its training): the intervals are too narrow for comparing optimizers. Use the seed-level tables above for that.\n\n")
		w.markdown(append(s.whereHeader(), "optimizer", "family", "split", "metric", "episodes", "share"), rows)
		w.p("\n")
	}
	return nil
}

func (w *mdWriter) markdown(header []string, rows [][]string) {
	esc := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
	w.p("|")
	for _, h := range header {
		w.p(" %s |", esc(h))
	}
	w.p("\n|")
	for range header {
		w.p(" --- |")
	}
	w.p("\n")
	for _, r := range rows {
		w.p("|")
		for i := range header {
			cell := ""
			if i < len(r) {
				cell = r[i]
			}
			w.p(" %s |", esc(cell))
		}
		w.p("\n")
	}
}

// save writes a figure at the standard size and its markdown: the
// sentence, then the image.
func (w *mdWriter) save(name string, p *plot.Plot, sentence string) error {
	return w.saveSize(name, p, figure.Width, figure.Height, sentence)
}

func (w *mdWriter) saveSize(name string, p *plot.Plot, width, height vg.Length, sentence string) error {
	if ctx := w.opts.Context; ctx != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	var b bytes.Buffer
	if err := figure.WritePNG(&b, p, width, height); err != nil {
		return fmt.Errorf("report: figure %s: %w", name, err)
	}
	w.fig++
	if i := slices.IndexFunc(w.figs, func(f file) bool { return f.name == name }); i >= 0 {
		w.figs[i].b = b.Bytes() // drawn again under the same name: the later one stands, as on disk
	} else {
		w.figs = append(w.figs, file{name: name, b: b.Bytes()})
	}
	w.p("**Figure %d.** %s\n\n![%s](%s)\n\n", w.fig, sentence, name, name)
	return nil
}

// fileName makes a figure name from parts: lower case, safe characters.
func fileName(parts ...string) string {
	var b strings.Builder
	for i, p := range parts {
		if p == "" {
			continue
		}
		if i > 0 && b.Len() > 0 {
			b.WriteByte('-')
		}
		for _, r := range p {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.':
				b.WriteRune(r)
			case r >= 'A' && r <= 'Z':
				b.WriteRune(r + 'a' - 'A')
			default:
				if !strings.HasSuffix(b.String(), "_") {
					b.WriteByte('_')
				}
			}
		}
	}
	return b.String() + ".png"
}

// skip reports whether a figure error means there was nothing to draw.
func skip(err error) bool { return errors.Is(err, figure.ErrEmpty) }
