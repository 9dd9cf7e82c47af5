package agents

import (
	"math"
	"math/rand/v2"

	"github.com/mesa-alignment/mesa/world"
)

// Summary describes one finished episode.
type Summary struct {
	Steps int
	// Return is the base return under the Runner's BaseReturn rule:
	// 1 − 0.9·Steps/StepLimit if the exit was reached (world.Sooner, the
	// default), else 0.
	Return      float64
	ReachedExit bool
	ApplesEaten int
	// First is the first object the agent entered (exit or apple), if
	// HasFirst; FirstStep is the step on which it did.
	First     world.Object
	FirstStep int
	HasFirst  bool
	// Greedy reports that actions were chosen by argmax rather than
	// sampled.
	Greedy bool
}

// A Trajectory is the per-step record of an episode: Positions[0] is the
// start, Positions[t+1] the cell after action Actions[t], and Objects[t] what
// that step entered (see world.Step.Object).
type Trajectory struct {
	Positions []world.Point
	Actions   []world.Action
	Objects   []int32
}

// A Runner plays policies through levels. It reuses its episode and buffers,
// so it belongs to one goroutine; make one per worker.
type Runner struct {
	// BaseReturn is the rule that scores episodes (Summary.Return); the
	// zero value is world.Sooner.
	BaseReturn world.BaseReturn
	// Greedy chooses the most probable action (lowest index on ties)
	// instead of sampling.
	Greedy bool
	// Trajectory, if not nil, receives the per-step record of each Run
	// (reset at the start of the run).
	Trajectory *Trajectory

	ep    world.Episode
	probs Probs
}

// Run plays p through l until the episode ends and returns its summary. rng
// draws the actions; it may be nil when Greedy.
func (r *Runner) Run(p Policy, l *world.Level, rng *rand.Rand) Summary {
	e := &r.ep
	e.SetBaseReturn(r.BaseReturn)
	e.Reset(l)
	p.Reset(e)
	tr := r.Trajectory
	if tr != nil {
		tr.Positions = append(tr.Positions[:0], l.Start)
		tr.Actions = tr.Actions[:0]
		tr.Objects = tr.Objects[:0]
	}
	s := Summary{Greedy: r.Greedy}
	d, _ := p.(drawer)
	for !e.Done() {
		var a world.Action
		switch {
		case d != nil:
			a = d.draw(e, rng, r.Greedy)
		case r.Greedy:
			p.Probs(&r.probs, e)
			a = Argmax(&r.probs)
		default:
			p.Probs(&r.probs, e)
			a = Sample(&r.probs, rng)
		}
		st := e.Step(a)
		if st.Object >= 0 && !s.HasFirst {
			s.HasFirst, s.FirstStep = true, e.Steps()
			if st.Object == 0 {
				s.First = l.Exit
			} else {
				s.First = l.Apples[st.Object-1]
			}
		}
		if tr != nil {
			tr.Positions = append(tr.Positions, st.Pos)
			tr.Actions = append(tr.Actions, a)
			tr.Objects = append(tr.Objects, st.Object)
		}
	}
	s.Steps, s.Return, s.ReachedExit, s.ApplesEaten = e.Steps(), e.Return(), e.ReachedExit(), e.ApplesEaten()
	return s
}

// Episode returns the runner's episode, in its state at the end of the last
// Run.
func (r *Runner) Episode() *world.Episode { return &r.ep }

// A drawer is a Policy that draws its action itself, exactly as Probs
// followed by Sample (or Argmax, if greedy) with rng would, and leaves the
// same state behind: it saves the copies of π (the planner, whose π are
// tables it keeps).
type drawer interface {
	draw(e *world.Episode, rng *rand.Rand, greedy bool) world.Action
}

// Sample draws an action from p. A p that does not sum to 1 (rounding) is
// handled by giving the remainder to the last action with positive mass.
func Sample(p *Probs, rng *rand.Rand) world.Action {
	u := rng.Float64()
	last := 0
	for a, q := range p {
		if q > 0 {
			last = a
		}
		if u < q {
			return world.Action(a)
		}
		u -= q
	}
	return world.Action(last)
}

// Argmax returns the most probable action, the lowest index on ties.
func Argmax(p *Probs) world.Action {
	best := 0
	for a := 1; a < world.NumActions; a++ {
		if p[a] > p[best] {
			best = a
		}
	}
	return world.Action(best)
}

// Softmax writes softmax(beta·q) into p, stably. Entries of q that are -Inf
// get probability 0; if all are, p is uniform.
func Softmax(p *Probs, q *[world.NumActions]float64, beta float64) {
	b0, b1, b2, b3 := beta*q[0], beta*q[1], beta*q[2], beta*q[3]
	if (b0-b0)+(b1-b1)+(b2-b2)+(b3-b3) == 0 {
		// All finite, the usual case: the operations of
		// softmaxSequential, with the maximum taken pairwise (max is
		// exact, so its order changes no bit) and without its tests for
		// -Inf.
		m := max(max(b0, b1), max(b2, b3))
		x := [world.NumActions]float64{b0 - m, b1 - m, b2 - m, b3 - m}
		for a, d := range x {
			if d == 0 {
				x[a] = 1 // exp(±0), the largest entry's
			} else {
				x[a] = math.Exp(d)
			}
		}
		sum := x[0] + x[1] + x[2] + x[3]
		p[0], p[1], p[2], p[3] = x[0]/sum, x[1]/sum, x[2]/sum, x[3]/sum
		return
	}
	softmaxSequential(p, q, beta)
}

// softmaxSequential is Softmax for any entries, the maximum taken in
// action order: what Softmax computes when an entry is not finite, and,
// bit for bit, when all are (TestSoftmaxSameBits).
func softmaxSequential(p *Probs, q *[world.NumActions]float64, beta float64) {
	// -Inf entries are skipped rather than scaled: beta·(-Inf) is NaN for
	// beta 0 and +Inf for beta < 0.
	m := math.Inf(-1)
	for _, v := range q {
		if !math.IsInf(v, -1) {
			m = max(m, beta*v)
		}
	}
	if math.IsInf(m, -1) || math.IsNaN(m) {
		*p = Probs{0.25, 0.25, 0.25, 0.25}
		return
	}
	sum := 0.0
	for a, v := range q {
		p[a] = 0
		if !math.IsInf(v, -1) {
			if d := beta*v - m; d == 0 {
				p[a] = 1 // exp(±0), the largest entry's
			} else {
				p[a] = math.Exp(d)
			}
		}
		sum += p[a]
	}
	for a := range p {
		p[a] /= sum
	}
}
