package evolve

import (
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// thresholdFamily is a test family whose return is a deterministic function
// of θ and the level, so that a fitness can be recomputed exactly: on level
// l the agent walks the shortest path to the exit (return 1 − 0.9·d/T under
// world.Sooner, 1 under world.Binary) if W·θ exceeds
// the level's threshold, a uniform number in [0, 1) derived from l.Seed,
// and otherwise bumps into the wall above the start until the step limit
// (return 0). Its policies are one-hot, so rollout seeds do not matter.
type thresholdFamily struct {
	W []float64
	// Meet, if not nil, is called at every Reset: see pairer.
	Meet func()
}

func (f thresholdFamily) Name() string { return "threshold" }
func (f thresholdFamily) Dim() int     { return len(f.W) }
func (f thresholdFamily) ParamNames() []string {
	names := make([]string, len(f.W))
	for i := range names {
		names[i] = "w" + string(rune('0'+i))
	}
	return names
}

func (f thresholdFamily) Init(theta []float64, rng *rand.Rand) {
	for i := range theta {
		theta[i] = 0.1 * rng.NormFloat64()
	}
}

func (f thresholdFamily) Policy(theta []float64) agents.Differentiable {
	return &thresholdPolicy{f: f, theta: theta}
}

// threshold returns the threshold of l.
func threshold(l *world.Level) float64 {
	return seeds.New(l.Seed, "test/threshold").Float64()
}

// passes reports whether θ reaches the exit of l.
func (f thresholdFamily) passes(theta []float64, l *world.Level) bool {
	s := 0.0
	for i, w := range f.W {
		s += w * theta[i]
	}
	return s > threshold(l)
}

// fitness is the mean return of θ on levels under the default base return,
// world.Sooner, computed as train.Evaluate does: a passing agent takes a
// shortest path, d steps for an exit at distance d.
func (f thresholdFamily) fitness(theta []float64, levels []*world.Level) float64 {
	sum := 0.0
	for _, l := range levels {
		if f.passes(theta, l) {
			d := l.Distances(make([]int32, len(l.Walls)), nil, l.Index(l.Start))[l.Index(l.Exit.Pos)]
			sum += world.Sooner.Return(true, int(d), l.StepLimit)
		}
	}
	return sum / float64(len(levels))
}

type thresholdPolicy struct {
	f     thresholdFamily
	theta []float64
	pass  bool
	dist  []int32
}

func (p *thresholdPolicy) Reset(e *world.Episode) {
	if p.f.Meet != nil {
		p.f.Meet()
	}
	l := e.Level()
	p.pass = p.f.passes(p.theta, l)
	if len(p.dist) != len(l.Walls) {
		p.dist = make([]int32, len(l.Walls))
	}
	l.Distances(p.dist, nil, l.Index(l.Exit.Pos))
}

func (p *thresholdPolicy) Probs(pr *agents.Probs, e *world.Episode) {
	*pr = agents.Probs{}
	if !p.pass {
		pr[world.Up] = 1 // the start is top-left: a wall
		return
	}
	here := p.dist[e.Cell()]
	off := e.Level().Offsets()
	for a, o := range off {
		if d := p.dist[e.Cell()+o]; d >= 0 && d < here {
			pr[a] = 1
			return
		}
	}
	pr[world.Up] = 1
}

func (p *thresholdPolicy) GradLogProb([]float64, world.Action, float64) {}

// pairer makes rollouts meet in pairs: Meet blocks until a second rollout
// calls it. A run whose rollouts all meet has run them two at a time
// concurrently. A rollout left alone gives up after a long timeout, a
// deadlock guard that counts as a failure, not a measure of speed.
type pairer struct {
	mu       sync.Mutex
	waiting  chan struct{}
	meetings atomic.Int64
	alone    atomic.Int64
}

func (p *pairer) Meet() {
	p.mu.Lock()
	if p.waiting != nil {
		close(p.waiting)
		p.waiting = nil
		p.mu.Unlock()
		p.meetings.Add(1)
		return
	}
	ch := make(chan struct{})
	p.waiting = ch
	p.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		p.mu.Lock()
		if p.waiting == ch {
			p.waiting = nil
		}
		p.mu.Unlock()
		p.alone.Add(1)
	}
}

// trainPreset returns the "train" world preset.
func trainPreset(t testing.TB) world.Distribution {
	t.Helper()
	d, err := world.Preset("train")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// recorder keeps copies of every Stats.
type recorder struct{ stats []train.Stats }

func (r *recorder) Record(s *train.Stats) error {
	c := *s
	c.Params = append([]float64(nil), s.Params...)
	c.Levels = slices.Clone(s.Levels)
	r.stats = append(r.stats, c)
	return nil
}
