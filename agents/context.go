package agents

import "context"

// WithContext returns fam with the long computations of its policies
// bounded by ctx: a plan on a large maze sweeps the maze thousands of
// times (seconds on 255×255), and an interrupted run must not wait for it.
// Once ctx is done a planner stops the plan in progress, within
// interruptEvery sweeps, and from then on acts uniformly at random and
// adds nothing to gradients, so that an episode in progress ends at the
// cost of a random walk. What such a policy does is meaningless: use it
// only for work that is abandoned when ctx is done. Other families are
// returned as they are (their steps are short).
func WithContext(fam Family, ctx context.Context) Family {
	if p, ok := fam.(Planner); ok {
		p.ctx = ctx
		return p
	}
	return fam
}

// interruptEvery is how many plan sweeps pass between looks at the
// context: rarely enough to cost nothing on small mazes, often enough to
// stop within milliseconds on the largest.
const interruptEvery = 64

// interrupted reports, at sweep k of a plan, whether the policy's context
// is done, and marks the policy stopped if it is. Inlined, it costs a
// comparison per sweep without a context.
func (pp *plannerPolicy) interrupted(k int) bool {
	return pp.ctx != nil && k%interruptEvery == 0 && pp.done()
}

// done is kept out of line so that interrupted inlines.
//
//go:noinline
func (pp *plannerPolicy) done() bool {
	if pp.ctx.Err() != nil {
		pp.stopped = true
	}
	return pp.stopped
}

// uniformProbs is what a stopped policy plays.
var uniformProbs = func() Probs {
	var p Probs
	for a := range p {
		p[a] = 1 / float64(len(p))
	}
	return p
}()
