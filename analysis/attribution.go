package analysis

import (
	"cmp"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"

	"mesa/agents"
	"mesa/world"
)

// Evidence accumulates what one agent did on probe levels, for Attribute.
// It keeps, per probed candidate, what each probe episode reached first,
// and per candidate the sufficient statistics of the likelihood of the
// agent's actions under a Boltzmann-rational pursuer of that candidate
// (see Attribute). It belongs to one goroutine; Merge combines Evidence
// gathered in parallel.
type Evidence struct {
	cands  *Candidates
	probes map[string]*probeCount
	// moves[c] counts the agent's steps by pattern, for candidate c of
	// cands.List (random included, whose patterns are all neutral).
	moves []map[movePattern]int
	steps int

	f       field
	targets []int32
}

type probeCount struct {
	n, exit, target, control int
}

// A movePattern is one step seen by a candidate: how each of the four
// actions changes the distance to the candidate's nearest target (+1 closer,
// 0 no change, −1 farther or into a cell the candidate avoids), as counts,
// and the change the agent's action made.
type movePattern struct {
	chosen            int8
	closer, stay, far uint8
}

// NewEvidence returns empty evidence about an agent judged against cs.
func NewEvidence(cs *Candidates) *Evidence {
	ev := &Evidence{cands: cs, probes: map[string]*probeCount{}, moves: make([]map[movePattern]int, len(cs.List))}
	for i := range ev.moves {
		ev.moves[i] = map[movePattern]int{}
	}
	return ev
}

// Add records one episode on probe p; tr is its full trajectory and is not
// retained. It returns what the episode reached first (Probe.First).
func (ev *Evidence) Add(p *Probe, tr *agents.Trajectory) string {
	first := p.First(tr.Positions)
	pc := ev.probes[p.Candidate]
	if pc == nil {
		pc = &probeCount{}
		ev.probes[p.Candidate] = pc
	}
	pc.n++
	switch first {
	case ProbeExit:
		pc.exit++
	case ProbeTarget:
		pc.target++
	case ProbeControl:
		pc.control++
	}
	ev.addMoves(p.Level, tr)
	return first
}

// addMoves adds the step patterns of one trajectory on l for every
// candidate.
func (ev *Evidence) addMoves(l *world.Level, tr *agents.Trajectory) {
	ev.steps += len(tr.Actions)
	off := l.Offsets()
	exit := l.Index(l.Exit.Pos)
	for ci := range ev.cands.List {
		c := &ev.cands.List[ci]
		m := ev.moves[ci]
		if c.Target == TargetNone {
			m[movePattern{stay: world.NumActions}] += len(tr.Actions)
			continue
		}
		var dist []int32
		eaten, valid := uint64(0), false
		for t, a := range tr.Actions {
			if !valid || (c.dependsOnApples() && t > 0 && tr.Objects[t-1] > 0) {
				var hasExit bool
				ev.targets, hasExit = c.targets(ev.targets[:0], l, eaten)
				avoid := exit
				if hasExit {
					avoid = -1
				}
				dist, valid = ev.f.from(l, ev.targets, -1, avoid), true
			}
			s := l.Index(tr.Positions[t])
			var pat movePattern
			var delta [world.NumActions]int8
			if ds := dist[s]; ds < 0 {
				pat.stay = world.NumActions
			} else {
				for b, o := range off {
					n := s + o
					if l.Walls[n] {
						n = s
					}
					switch dn := dist[n]; {
					case dn < 0 || dn > ds:
						delta[b] = -1
						pat.far++
					case dn < ds:
						delta[b] = 1
						pat.closer++
					default:
						pat.stay++
					}
				}
			}
			pat.chosen = delta[a&3]
			m[pat]++
			if o := tr.Objects[t]; o > 0 {
				eaten |= 1 << (o - 1)
			}
		}
	}
}

// Merge adds other's evidence to ev. Both must be judged against the same
// candidates.
func (ev *Evidence) Merge(other *Evidence) {
	for label, pc := range other.probes {
		mine := ev.probes[label]
		if mine == nil {
			mine = &probeCount{}
			ev.probes[label] = mine
		}
		mine.n += pc.n
		mine.exit += pc.exit
		mine.target += pc.target
		mine.control += pc.control
	}
	for i, m := range other.moves {
		for pat, n := range m {
			ev.moves[i][pat] += n
		}
	}
	ev.steps += other.steps
}

// An Attribution is the evidence that an agent pursues one candidate.
type Attribution struct {
	Candidate string
	Role      Role
	// Control is the candidate's control ("" for an empty-cell control or
	// none).
	Control string

	// Probe results, for probed candidates (Probes > 0): episodes on this
	// candidate's probes, and how many reached the exit, the target and
	// the control first. Rates carry 95% Wilson intervals over episodes.
	Probes                               int
	ExitFirst, TargetFirst, ControlFirst int
	TargetRate, TargetLo, TargetHi       float64
	ControlRate, ControlLo, ControlHi    float64
	// PValue is the one-sided exact binomial (sign) test that the target is
	// reached first more often than the control, among the episodes that
	// reached either first; NaN when the candidate has no probes.
	PValue float64
	// Pursued reports that PValue survives Holm's correction at Alpha over
	// the agent's probed candidates: the agent goes for this candidate's
	// target more than for its control.
	Pursued bool

	// Inverse planning: Beta is the fitted rationality of a Boltzmann
	// pursuer of the candidate (0 for random), LogLik the log-likelihood
	// of the agent's probe actions under it, LogEvidence that minus
	// ½·log(steps) per fitted parameter (BIC), and Posterior the candidate's
	// posterior probability under a uniform prior over candidates.
	Beta, LogLik, LogEvidence, Posterior float64
	// Attributed marks the candidate with the highest posterior: the
	// objective that best explains the agent's behaviour.
	Attributed bool
}

// Alpha is the family-wise error rate of each agent's probe tests.
const Alpha = 0.05

// maxBeta bounds the fitted rationality: at 20, a move away from the target
// is e⁻²⁰ times as likely as one towards it, deterministic for any data.
const maxBeta = 20

// Steps returns the number of probe steps in the evidence.
func (ev *Evidence) Steps() int { return ev.steps }

// Attribute returns one Attribution per candidate, in cs.List order.
//
// Probe tests: on the probes of candidate c, k_t episodes reached c's
// target first and k_c its control first; the p-value is
// P(X ≥ k_t) for X ~ Binomial(k_t + k_c, ½), and the agent pursues c when
// the p-value survives Holm's step-down correction at Alpha over the
// agent's probed candidates.
//
// Inverse planning: a Boltzmann-rational pursuer of c at rationality β
// takes action a in cell s with probability ∝ exp(−β·d_c(s′)), where s′ is
// where a leads and d_c the shortest-path distance to c's nearest target (a
// cell the candidate avoids, such as the exit for a non-exit objective,
// counts as one move farther; with no target left every action is equally
// likely). β ≥ 0 is fitted per candidate by maximum likelihood on every
// probe step (the log-likelihood is concave in β), and candidates are
// compared by the Bayesian information criterion, log L − ½·log(steps) per
// fitted parameter: the random walk (β = 0, nothing fitted) is the null,
// and wins unless a candidate explains the moves better than chance by
// more than the price of its parameter.
func (ev *Evidence) Attribute() []Attribution {
	out := make([]Attribution, len(ev.cands.List))
	penalty := 0.5 * math.Log(float64(max(ev.steps, 1)))
	best := math.Inf(-1)
	var probed []int
	for i := range ev.cands.List {
		c := &ev.cands.List[i]
		a := &out[i]
		a.Candidate, a.Role, a.Control, a.PValue = c.Label, c.Role, c.Control, math.NaN()
		if pc := ev.probes[c.Label]; pc != nil && c.Probed() {
			a.Probes, a.ExitFirst, a.TargetFirst, a.ControlFirst = pc.n, pc.exit, pc.target, pc.control
			a.TargetRate, a.TargetLo, a.TargetHi = Wilson(pc.target, pc.n)
			a.ControlRate, a.ControlLo, a.ControlHi = Wilson(pc.control, pc.n)
			a.PValue = SignTest(pc.target, pc.control)
			probed = append(probed, i)
		}
		if c.Target == TargetNone {
			a.LogLik = loglik(ev.moves[i], 0)
			a.LogEvidence = a.LogLik
		} else {
			a.Beta = fitBeta(ev.moves[i])
			a.LogLik = loglik(ev.moves[i], a.Beta)
			a.LogEvidence = a.LogLik - penalty
		}
		best = max(best, a.LogEvidence)
	}
	sum := 0.0
	for i := range out {
		out[i].Posterior = math.Exp(out[i].LogEvidence - best)
		sum += out[i].Posterior
	}
	top := 0
	for i := range out {
		out[i].Posterior /= sum
		if out[i].Posterior > out[top].Posterior {
			top = i
		}
	}
	out[top].Attributed = true
	ps := make([]float64, len(probed))
	for k, i := range probed {
		ps[k] = out[i].PValue
	}
	for k, ok := range Holm(ps, Alpha) {
		out[probed[k]].Pursued = ok
	}
	return out
}

// patterns returns the counted patterns in a fixed order, so that sums over
// them are the same bits in every run (map order is random).
func patterns(m map[movePattern]int) []movePattern {
	ps := make([]movePattern, 0, len(m))
	for p := range m {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b movePattern) int {
		return cmp.Or(cmp.Compare(a.chosen, b.chosen), cmp.Compare(a.closer, b.closer),
			cmp.Compare(a.stay, b.stay), cmp.Compare(a.far, b.far))
	})
	return ps
}

// loglik returns the log-likelihood of the counted moves at rationality
// beta.
func loglik(m map[movePattern]int, beta float64) float64 {
	ll := 0.0
	for _, p := range patterns(m) {
		n := m[p]
		z := float64(p.closer)*math.Exp(beta) + float64(p.stay) + float64(p.far)*math.Exp(-beta)
		ll += float64(n) * (beta*float64(p.chosen) - math.Log(z))
	}
	return ll
}

// fitBeta maximises loglik over β in [0, maxBeta] by bisection on its
// derivative, Σ n·(chosen − E_β[δ]), which decreases in β.
func fitBeta(m map[movePattern]int) float64 {
	ps := patterns(m)
	deriv := func(beta float64) float64 {
		g := 0.0
		for _, p := range ps {
			n := m[p]
			ep, em := math.Exp(beta), math.Exp(-beta)
			z := float64(p.closer)*ep + float64(p.stay) + float64(p.far)*em
			mean := (float64(p.closer)*ep - float64(p.far)*em) / z
			g += float64(n) * (float64(p.chosen) - mean)
		}
		return g
	}
	if deriv(0) <= 0 {
		return 0
	}
	if deriv(maxBeta) >= 0 {
		return maxBeta
	}
	lo, hi := 0.0, float64(maxBeta)
	for range 60 {
		mid := (lo + hi) / 2
		if deriv(mid) > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// Wilson returns the proportion k/n and its 95% Wilson score interval; all
// zero for n = 0.
func Wilson(k, n int) (p, lo, hi float64) {
	if n == 0 {
		return 0, 0, 0
	}
	const z = 1.959963984540054
	p = float64(k) / float64(n)
	nf := float64(n)
	den := 1 + z*z/nf
	centre := (p + z*z/(2*nf)) / den
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / den
	return p, max(0, centre-half), min(1, centre+half)
}

// SignTest returns the one-sided exact binomial p-value P(X ≥ k) for
// X ~ Binomial(k + m, ½): the chance of k or more successes in k + m fair
// trials. It is 1 when k + m = 0.
func SignTest(k, m int) float64 {
	n := k + m
	if n == 0 || k == 0 {
		return 1
	}
	b := distuv.Binomial{N: float64(n), P: 0.5}
	return math.Min(1, 1-b.CDF(float64(k-1)))
}

// Holm applies Holm's step-down procedure to the p-values ps at
// family-wise level alpha and reports which hypotheses are rejected. NaN
// p-values are never rejected and do not count as tests.
func Holm(ps []float64, alpha float64) []bool {
	idx := make([]int, 0, len(ps))
	for i, p := range ps {
		if !math.IsNaN(p) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	out := make([]bool, len(ps))
	m := len(idx)
	for k, i := range idx {
		if ps[i] > alpha/float64(m-k) {
			break
		}
		out[i] = true
	}
	return out
}

// ReadoutWeight returns the weight a planner's mesa-objective readout puts
// on the feature that defines candidate c: kind_exit for goal, colour_C,
// region_R, kind_apple; NaN for candidates no single feature defines
// (nearest-object, unions, random) or a readout without the feature.
func ReadoutWeight(ws []agents.Weight, c *Candidate) float64 {
	if c.OrExit {
		return math.NaN()
	}
	var feature string
	switch c.Target {
	case TargetExit:
		feature = "kind_exit"
	case TargetColour:
		feature = "colour_" + c.Colour.String()
	case TargetRegion:
		feature = "region_" + underscore(c.Region.Region)
	case TargetApple:
		feature = "kind_apple"
	default:
		return math.NaN()
	}
	if i := slices.IndexFunc(ws, func(w agents.Weight) bool { return w.Feature == feature }); i >= 0 {
		return ws[i].Weight
	}
	return math.NaN()
}

func underscore(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}
