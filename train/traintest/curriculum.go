package traintest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// probeSource is the level source of the Curriculum check: fresh levels of
// a stream no method uses, with a record of what was handed out and what
// was reported back.
type probeSource struct {
	gen    *world.Generator
	seed   uint64
	oracle train.Oracle
	ps     *problems

	levels  []*world.Level
	pending bool // Levels was called and Update not yet
	calls   int
	handed  map[uint64]bool // every level seed handed out
	updates [][]uint64      // the level seeds of each Update, in call order
	stats   []train.LevelStat
}

type probeCurriculum struct{ src *probeSource }

func (probeCurriculum) Name() string { return "probe" }

func (c probeCurriculum) Source(gen *world.Generator, rule world.BaseReturn, seed uint64, purpose string) (train.LevelSource, error) {
	if c.src.gen != nil {
		return nil, fmt.Errorf("traintest: one probe source per run")
	}
	c.src.gen, c.src.seed, c.src.oracle.Rule = gen, seed, rule
	return c.src, nil
}

func (s *probeSource) Levels(it, n int) []*world.Level {
	if s.pending {
		s.ps.add("Levels(%d) called before the previous iteration's Update", it)
	}
	s.pending = true
	s.calls++
	s.levels = s.levels[:0]
	for k := range n {
		l := s.gen.Level(seeds.Derive(s.seed, "traintest/curriculum", uint64(it), uint64(k)))
		s.handed[l.Seed] = true
		s.levels = append(s.levels, l)
	}
	return s.levels
}

func (s *probeSource) Update(it int, returns []float64) []train.LevelStat {
	if !s.pending {
		s.ps.add("Update(%d) without Levels", it)
	}
	s.pending = false
	if len(returns) != len(s.levels) {
		s.ps.add("Update(%d): %d returns for %d levels", it, len(returns), len(s.levels))
		return nil
	}
	s.stats = s.stats[:0]
	var ids []uint64
	for k, l := range s.levels {
		o := s.oracle.Return(l)
		if r := returns[k]; math.IsNaN(r) || r < 0 || r > o+1e-12 {
			s.ps.add("Update(%d): return %v on level %d, outside [0, the oracle's %v]", it, r, k, o)
		}
		s.stats = append(s.stats, train.LevelStat{Level: l, Return: returns[k], Oracle: o, Regret: o - returns[k]})
		ids = append(ids, l.Seed)
	}
	s.updates = append(s.updates, ids)
	return s.stats
}

// counter counts the episodes (by level seed) and steps the policies of a
// countingFamily play.
type counter struct {
	mu     sync.Mutex
	levels map[uint64]int
	steps  int
}

type countingFamily struct {
	agents.Family
	c *counter
}

func (f countingFamily) Policy(theta []float64) agents.Differentiable {
	return countingPolicy{f.Family.Policy(theta), f.c}
}

type countingPolicy struct {
	agents.Differentiable
	c *counter
}

func (p countingPolicy) Reset(e *world.Episode) {
	p.c.mu.Lock()
	p.c.levels[e.Level().Seed]++
	p.c.mu.Unlock()
	p.Differentiable.Reset(e)
}

func (p countingPolicy) Probs(pr *agents.Probs, e *world.Episode) {
	p.c.mu.Lock()
	p.c.steps++
	p.c.mu.Unlock()
	p.Differentiable.Probs(pr, e)
}

func checkCurriculum(ctx context.Context, m train.Method, c Config) (string, error) {
	var ps problems
	src := &probeSource{ps: &ps, handed: map[uint64]bool{}}
	cnt := &counter{levels: map[uint64]int{}}
	p := c.problem(c.Seed)
	p.Family = countingFamily{c.Family, cnt}
	p.Curriculum = probeCurriculum{src}
	s := c.Quick
	res, rec, err := run(ctx, m, p, s, 2)
	if err != nil {
		return "", err
	}
	if src.calls == 0 {
		ps.add("the method never asked its level source for levels")
	}
	for seed := range cnt.levels {
		if !src.handed[seed] {
			ps.add("played level %d, which its level source never handed out", seed)
			break
		}
	}
	// Methods number iterations their own way (a GA's generations from 1,
	// SGD's updates from 0): the n-th recorded iteration must carry the
	// levels of the n-th Update, on every population's Stats.
	its := iterations(rec.Stats)
	n := -1
	for i, st := range rec.Stats {
		if i == 0 || rec.Stats[i-1].Iteration != st.Iteration {
			n++
		}
		if n >= len(src.updates) {
			ps.add("iteration %d recorded without an Update of its levels", st.Iteration)
			break
		}
		got := make([]uint64, len(st.Levels))
		for k, l := range st.Levels {
			got[k] = l.Level.Seed
		}
		if ids := src.updates[n]; !slices.Equal(got, ids) {
			ps.add("iteration %d: Stats.Levels hold levels %v, its Update scored %v", st.Iteration, got, ids)
		}
	}
	if len(src.updates) != len(its) {
		ps.add("%d updates of the level source for %d recorded iterations", len(src.updates), len(its))
	}
	if res.Status == train.IterationLimit && cnt.steps != res.EnvSteps {
		ps.add("its policies took %d env steps, the result charges %d", cnt.steps, res.EnvSteps)
	}
	return fmt.Sprintf("%d iterations, %d levels handed out, %d env steps played and charged", len(its), len(src.handed), cnt.steps), ps.err()
}
