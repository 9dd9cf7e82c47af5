package report

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mesa-alignment/mesa/analysis"
	"github.com/mesa-alignment/mesa/experiment"
	"github.com/mesa-alignment/mesa/names"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/stats"
	"github.com/mesa-alignment/mesa/world"
)

// levelPct is the confidence level as printed: "95%".
func (s *Study) levelPct() string { return strconv.FormatFloat(100*s.opts.level(), 'g', 4, 64) + "%" }

// A pointSetup is what the report reads from a run's resolved config at
// one sweep point: what its training distribution cannot identify, and the
// distributions its splits and probes show.
type pointSetup struct {
	id *analysis.Identifiability
	// splits are the evaluation distributions by split name, the probe
	// split's exit colour under "probe".
	splits    map[string]world.Distribution
	probeExit string
}

// identifyLevels is the number of training levels Identify samples.
const identifyLevels = 1000

// setup returns the run's setup at point, computed once, when first asked
// for; nil if the run's config cannot be read (a run of another version of
// mesa).
func (r *Run) setup(point int) *pointSetup {
	if ps, ok := r.setups[point]; ok {
		return ps
	}
	if r.setups == nil {
		r.setups = map[int]*pointSetup{}
	}
	r.setups[point] = nil // also when it cannot be read: tried once
	cfg, err := r.registry().ParseContext(context.Background(), strings.NewReader(r.Manifest.Config), nil)
	if err != nil {
		return nil
	}
	pc, err := cfg.Point(point)
	if err != nil {
		return nil
	}
	corner := pc.CornerSize()
	id, err := analysis.Identify(pc.Train.Distribution, corner, identifyLevels, seeds.Derive(pc.Seed, "report/identify"))
	if err != nil {
		return nil
	}
	ps := &pointSetup{id: id, splits: map[string]world.Distribution{}}
	for _, sp := range pc.Splits {
		ps.splits[sp.Name] = sp.Distribution.Distribution
	}
	if cs, err := analysis.NewCandidates(pc.Train.Distribution, corner); err == nil && !pc.Probe.Off {
		ps.probeExit = cs.ExitColour.String()
		if pc.Probe.ExitColour != "" {
			ps.probeExit = pc.Probe.ExitColour
		}
	}
	r.setups[point] = ps
	return ps
}

// shiftNotes returns, for a split at a run's point, what it shows that
// training could not identify: "deploy: exit gray: colour_gray never seen
// in training; …".
func (r *Run) shiftNotes(point int, split string) []string {
	ps := r.setup(point)
	if ps == nil {
		return nil
	}
	if split == experiment.ProbeSplit {
		if ps.probeExit == "" {
			return nil
		}
		if n := ps.id.Note("colour_" + ps.probeExit); n != "" {
			return []string{fmt.Sprintf("exit %s: colour_%s %s", ps.probeExit, ps.probeExit, n)}
		}
		return nil
	}
	d, ok := ps.splits[split]
	if !ok {
		return nil
	}
	return ps.id.ShiftNotes(d)
}

// roleLabels returns the candidates of the study's runs with the given
// role ("proxy", "control"), sorted: "colour:green, region:bottom-right".
func (s *Study) roleLabels(role string) string {
	var out []string
	for _, r := range s.Runs {
		for label, ro := range r.Roles {
			if ro == role && !slices.Contains(out, label) {
				out = append(out, label)
			}
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// A StrengthSummary is one optimizer × family's graded-probe results for
// one proxy, over training seeds: the indifference offsets of the proxy and
// its control, and the proxy strength, each a mean over seeds with its
// interval; censored values count at the offset probed nearest to them.
type StrengthSummary struct {
	Proxy, Control string
	// KProxy, KControl and Strength are over the agents with both fits.
	KProxy, KControl, Strength stats.Interval
	// Values are each agent's strength, in agent order.
	Values []float64
	// Below and Above count the agents whose proxy (P) and control (C)
	// k* lie below or above the offsets probed.
	BelowP, AboveP, BelowC, AboveC int
	// Separated counts the agents whose strength interval lies above 0,
	// Unknown those whose proxy and control k* are censored on the same
	// side (their strength is unbounded both ways).
	Separated, Unknown int
}

// Strengths returns the cell's graded-probe summaries, one per proxy with
// a graded control, in label order; nil without graded probes.
func (s *Study) Strengths(c *Cell) []StrengthSummary {
	byProxy := map[string]*StrengthSummary{}
	var kp, kc map[string][]float64 = map[string][]float64{}, map[string][]float64{}
	for _, a := range c.Agents {
		for label, g := range a.Graded {
			if g.Role != names.RoleProxy || math.IsNaN(g.Strength) {
				continue
			}
			ctl := a.Graded[g.Control]
			if ctl == nil {
				continue
			}
			sm := byProxy[label]
			if sm == nil {
				sm = &StrengthSummary{Proxy: label, Control: g.Control}
				byProxy[label] = sm
			}
			sm.Values = append(sm.Values, g.Strength)
			kp[label] = append(kp[label], g.KStar)
			kc[label] = append(kc[label], ctl.KStar)
			switch g.Censored {
			case "below":
				sm.BelowP++
			case "above":
				sm.AboveP++
			}
			switch ctl.Censored {
			case "below":
				sm.BelowC++
			case "above":
				sm.AboveC++
			}
			if g.Lo > 0 {
				sm.Separated++
			}
			if g.Censored != "" && g.Censored == ctl.Censored {
				sm.Unknown++
			}
		}
	}
	var out []StrengthSummary
	for label, sm := range byProxy {
		level := s.opts.level()
		sm.KProxy, _ = stats.MeanT(kp[label], level)
		sm.KControl, _ = stats.MeanT(kc[label], level)
		sm.Strength, _ = stats.MeanT(sm.Values, level)
		out = append(out, *sm)
	}
	slices.SortFunc(out, func(a, b StrengthSummary) int { return cmp.Compare(a.Proxy, b.Proxy) })
	return out
}

// A StrengthComparison compares two optimizers' proxy strength on one
// family and proxy, over training seeds.
type StrengthComparison struct {
	Run    *Run
	Point  int
	Family string
	Proxy  string
	A, B   string
	// SA and SB are the two optimizers' summaries.
	SA, SB StrengthSummary
	stats.Comparison
}

// bound says when a summary's strengths are bounds: "" or "; a lower bound:
// the control's k* lies below the offsets probed for 5 of 5 seeds".
func (sm StrengthSummary) bound() string {
	n := len(sm.Values)
	var parts []string
	if sm.BelowC > 0 {
		parts = append(parts, fmt.Sprintf("the control's k* lies below the offsets probed for %d of %d seeds", sm.BelowC, n))
	}
	if sm.AboveP > 0 {
		parts = append(parts, fmt.Sprintf("the proxy's above them for %d of %d", sm.AboveP, n))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (a lower bound where " + strings.Join(parts, ", ") + ")"
}

// StrengthComparisons compares every pair of trained optimizers on each
// family and proxy with a two-sided permutation test over the seeds'
// strengths (in steps; censored strengths at the ends of the offsets
// probed, which the test treats as values: it is a test of exchangeable
// seeds, not of a mean), Holm-adjusted within each proxy.
func (s *Study) StrengthComparisons() ([]StrengthComparison, error) {
	cells := s.Cells()
	var out []StrengthComparison
	rng := seeds.New(0, "report/compare-strength")
	for i, a := range cells {
		for _, b := range cells[i+1:] {
			if a.Scripted() || b.Scripted() || a.Run != b.Run || a.Point != b.Point || a.Family != b.Family || a.Optimizer == b.Optimizer {
				continue
			}
			sb := map[string]StrengthSummary{}
			for _, sm := range s.Strengths(b) {
				sb[sm.Proxy] = sm
			}
			for _, sm := range s.Strengths(a) {
				other, ok := sb[sm.Proxy]
				if !ok {
					continue
				}
				c, err := stats.Compare(sm.Values, other.Values, s.opts.alpha(), rng)
				if err != nil {
					return nil, err
				}
				out = append(out, StrengthComparison{Run: a.Run, Point: a.Point, Family: a.Family, Proxy: sm.Proxy,
					A: a.Optimizer, B: b.Optimizer, SA: sm, SB: other, Comparison: c})
			}
		}
	}
	err := holmWithin(len(out), func(i int) string { return out[i].Proxy }, func(i int) *stats.Comparison { return &out[i].Comparison })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// holmWithin adjusts n comparisons with Holm's method within each group of
// those with the same key, in order of first appearance; comp returns
// comparison i.
func holmWithin(n int, key func(i int) string, comp func(i int) *stats.Comparison) error {
	groups := map[string][]int{}
	var order []string
	for i := range n {
		k := key(i)
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		inner := make([]stats.Comparison, len(groups[k]))
		for j, i := range groups[k] {
			inner[j] = *comp(i)
		}
		if err := stats.AdjustHolm(inner); err != nil {
			return err
		}
		for j, i := range groups[k] {
			*comp(i) = inner[j]
		}
	}
	return nil
}

// formatK formats an indifference offset interval over seeds in steps,
// "−5.2 ± 1.3"; a single agent's fit is formatted by formatFit.
func formatK(iv stats.Interval) string {
	return strings.ReplaceAll(signed(stats.FormatInterval(iv, false)), "-", "−")
}

// censoring says how many of n agents' k* lie past the offsets probed:
// "" or " (3 below)".
func censoring(below, above int) string {
	var parts []string
	if below > 0 {
		parts = append(parts, fmt.Sprintf("%d below", below))
	}
	if above > 0 {
		parts = append(parts, fmt.Sprintf("%d above", above))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// offsetsProbed returns the smallest and largest offset of the study's
// graded curves, NaN if there are none.
func (s *Study) offsetsProbed() (lo, hi float64) {
	lo, hi = math.NaN(), math.NaN()
	for _, a := range s.Agents {
		for _, g := range a.Graded {
			for _, p := range g.Points {
				k := float64(p.Offset)
				if math.IsNaN(lo) || k < lo {
					lo = k
				}
				if math.IsNaN(hi) || k > hi {
					hi = k
				}
			}
		}
	}
	return lo, hi
}

// minPNote states the smallest p the exact permutation test can reach
// with the seeds of the comparisons cs, warning when it is not below the
// significance level: "with 5 + 5 seeds no p-value is below 0.008 before
// adjustment".
func minPNote(cs []stats.Comparison, alpha float64) string {
	type pair struct{ a, b int }
	var seen []pair
	var parts []string
	warn := false
	for _, c := range cs {
		p := pair{c.NA, c.NB}
		if slices.Contains(seen, p) || c.Test != stats.TestExact {
			continue
		}
		seen = append(seen, p)
		m := stats.MinP(c.NA, c.NB)
		parts = append(parts, fmt.Sprintf("%d + %d seeds: p ≥ %s", c.NA, c.NB, fmtPShort(m)))
		if m >= alpha {
			warn = true
		}
	}
	if len(parts) == 0 {
		return ""
	}
	note := "smallest p the exact test can give, before adjustment: " + strings.Join(parts, "; ")
	if warn {
		note += fmt.Sprintf(" — WARNING: with these seeds no test can reach p < %g, however large the difference", alpha)
	}
	return note
}

func fmtPShort(p float64) string { return strconv.FormatFloat(p, 'g', 2, 64) }
