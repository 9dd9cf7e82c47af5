// Package curriculum holds the level sources of train beyond domain
// randomisation (train.Random): Prioritized Level Replay by exact regret
// (Replay) and an ACCEL-style adversary that edits the levels of highest
// regret (Adversary). Both are train.Curriculum values: settings structs
// whose zero value works, each making one train.LevelSource per training
// run, the same for every base optimizer.
//
// # Regret is exact
//
// The UED literature estimates regret (positive value loss, maximum Monte
// Carlo). In mesa the oracle's return on a level is known: the base
// return of reaching the exit by a shortest path (train.Oracle). A level's
// score is therefore the regret oracle return − agent return, where the
// agent's return is the one the method measured on that level this
// iteration: the mean over the GA's population or the ES's points, the
// one episode of an SGD batch (see the methods' docs). It is exact up to
// the agent's sampled actions.
//
// # What a source costs
//
// Neither source plays an episode of its own: a level is scored by the
// episodes the method trains on, on it, in the iteration it is handed
// out (the "non-robust" form of Jiang et al. 2021, in which new levels
// are trained on as well as replayed ones). Every such episode is charged
// to the method's train.Meter, so curricula compare at equal cost.
package curriculum

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/mesa-alignment/mesa/names"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// Defaults of a zero Replay (Jiang, Grefenstette & Rocktäschel 2021, as
// issue 17 asks).
const (
	DefaultBuffer      = 256
	DefaultTemperature = 0.3
	DefaultStaleness   = 0.3
	DefaultNew         = 0.5
)

// Replay is Prioritized Level Replay (Jiang, Grefenstette & Rocktäschel,
// "Prioritized Level Replay", ICML 2021) with exact regret as the score.
// Its zero value works.
//
// The source keeps a buffer of at most Buffer levels, each with its score
// S (the regret measured the last time it was played) and the iteration C
// it was last played. Each slot k of iteration c (c counting Levels calls
// from 1) is, independently, a new level with probability New, or a
// replayed one: level i of the buffer with probability
//
//	P(i) = (1−ρ)·P_S(i) + ρ·P_C(i),
//	P_S(i) = rank(i)^(−1/β) / Σ_j rank(j)^(−1/β),
//	P_C(i) = (c − C_i) / Σ_j (c − C_j),
//
// rank(i) the position of S_i in descending order (1 for the highest
// regret; equal scores ranked by age, the longest kept first), β the
// Temperature and ρ the Staleness. Replayed slots are drawn with
// replacement. While the buffer holds fewer levels than the iteration
// asks for, every slot is new. A new level in slot k of iteration it is the
// level train.Random would hand out there, gen.Level(seeds.Derive(seed,
// purpose, it, k)), so the new levels of a replay run are a subset of a
// random run's.
//
// After the iteration the buffer learns: a replayed level's score becomes
// its regret this iteration (the mean of its slots'), and its C the
// current iteration; a new level enters the buffer if it has room, else
// it replaces the level of lowest score (the longest kept on ties) if its
// own regret is higher. The random draws of iteration c come from the
// stream seeds.New(seed, "curriculum/"+purpose, it).
type Replay struct {
	// Buffer is the most levels kept; 0 means DefaultBuffer.
	Buffer int
	// Temperature is β of the rank prioritisation, in (0, 100]; 0 means
	// DefaultTemperature. A lower β replays the highest regrets more.
	Temperature float64
	// Staleness is ρ, the weight of the staleness distribution, in
	// [0, 1]; 0 means DefaultStaleness, a negative value none (ρ = 0).
	Staleness float64
	// New is p, the probability that a slot is a new level, in (0, 1];
	// 0 means DefaultNew.
	New float64
}

var _ train.Curriculum = Replay{}

// Name returns "replay".
func (Replay) Name() string { return names.CurriculumReplay }

// replayConfig is a Replay with its defaults resolved.
type replayConfig struct {
	buffer          int
	beta, rho, pNew float64
}

func (r Replay) config() (replayConfig, error) {
	c := replayConfig{buffer: r.Buffer, beta: r.Temperature, rho: r.Staleness, pNew: r.New}
	if c.buffer == 0 {
		c.buffer = DefaultBuffer
	}
	if c.beta == 0 {
		c.beta = DefaultTemperature
	}
	switch {
	case c.rho == 0:
		c.rho = DefaultStaleness
	case c.rho < 0:
		c.rho = 0
	}
	if c.pNew == 0 {
		c.pNew = DefaultNew
	}
	switch {
	case c.buffer < 1 || c.buffer > 1<<20:
		return c, fmt.Errorf("buffer: %d out of range [1, %d]", c.buffer, 1<<20)
	case !(c.beta > 0 && c.beta <= 100):
		return c, fmt.Errorf("temperature: %v out of range (0, 100] (0 means %v)", r.Temperature, DefaultTemperature)
	case !(c.rho <= 1) || math.IsNaN(r.Staleness):
		return c, fmt.Errorf("staleness: %v out of range [0, 1] (0 means %v, a negative value none)", r.Staleness, DefaultStaleness)
	case !(c.pNew > 0 && c.pNew <= 1):
		return c, fmt.Errorf("new: %v out of range (0, 1] (0 means %v)", r.New, DefaultNew)
	}
	return c, nil
}

// Validate reports the first bad setting, naming the field.
func (r Replay) Validate() error {
	_, err := r.config()
	return err
}

// Source returns the replay source of one training run.
func (r Replay) Source(gen *world.Generator, rule world.BaseReturn, seed uint64, purpose string) (train.LevelSource, error) {
	c, err := r.config()
	if err != nil {
		return nil, err
	}
	if gen == nil {
		return nil, fmt.Errorf("no level generator")
	}
	return newSource(c, gen, rule, seed, purpose), nil
}

// An entry is a kept level.
type entry struct {
	level  *world.Level
	oracle float64 // the oracle's return on it
	score  float64 // its regret the last time it was played
	last   int     // the iteration (Levels call) it was last played
	seq    int     // when it entered: older entries rank first on ties
}

// A slot is one level handed out by the last Levels call.
type slot struct {
	origin train.Origin
	entry  int // the buffer entry replayed, or -1
	level  *world.Level
}

// source is the level source of Replay, and of Adversary with an editor.
type source struct {
	cfg     replayConfig
	gen     *world.Generator
	oracle  train.Oracle
	seed    uint64
	purpose string
	streams seeds.Streams // seeds.Of(seed, "curriculum/"+purpose)
	// edit, if not nil, makes a new slot an edited child of a kept level
	// (Adversary).
	edit *editor

	buf     []entry
	iter    int // Levels calls so far
	entered int // levels that entered the buffer so far
	slots   []slot
	levels  []*world.Level
	stats   []LevelStat
	prob    []float64 // P over buf, for the current iteration
	cum     []float64
	order   []int
	sums    []float64
	counts  []int
}

// LevelStat is train.LevelStat; the alias keeps signatures short.
type LevelStat = train.LevelStat

func newSource(c replayConfig, gen *world.Generator, rule world.BaseReturn, seed uint64, purpose string) *source {
	return &source{cfg: c, gen: gen, oracle: train.Oracle{Rule: rule}, seed: seed, purpose: purpose,
		streams: seeds.Of(seed, "curriculum/"+purpose)}
}

// Levels hands out the n levels of iteration it.
func (s *source) Levels(it, n int) []*world.Level {
	s.iter++
	rng := s.streams.New(uint64(it))
	replay := len(s.buf) >= n && len(s.buf) > 0
	if replay {
		s.probabilities()
	}
	s.slots, s.levels = s.slots[:0], s.levels[:0]
	for k := range n {
		sl := slot{origin: train.New, entry: -1}
		switch {
		case !replay || rng.Float64() < s.cfg.pNew:
			if s.edit != nil && len(s.buf) > 0 && rng.Float64() < s.edit.share {
				parent := s.buf[s.draw(rng)].level
				sl.origin, sl.level = train.Edited, s.edit.child(parent, s.streams.New(uint64(it), uint64(k), 1))
				break
			}
			sl.level = s.gen.Level(seeds.Derive(s.seed, s.purpose, uint64(it), uint64(k)))
		default:
			sl.origin, sl.entry = train.Replayed, s.draw(rng)
			sl.level = s.buf[sl.entry].level
		}
		s.slots = append(s.slots, sl)
		s.levels = append(s.levels, sl.level)
	}
	return s.levels
}

// draw returns a buffer index drawn from s.prob (by its cumulative sums).
// It is called only after probabilities, on a non-empty buffer.
func (s *source) draw(rng *rand.Rand) int {
	if len(s.cum) != len(s.buf) {
		s.probabilities()
	}
	u := rng.Float64() * s.cum[len(s.cum)-1]
	i, _ := slices.BinarySearchFunc(s.cum, u, func(c, u float64) int {
		if c <= u {
			return -1
		}
		return 1
	})
	return min(i, len(s.cum)-1)
}

// probabilities sets s.prob to P over the buffer at iteration s.iter, and
// s.cum to its cumulative sums.
func (s *source) probabilities() {
	n := len(s.buf)
	s.prob = slices.Grow(s.prob[:0], n)[:n]
	s.cum = slices.Grow(s.cum[:0], n)[:n]
	s.order = slices.Grow(s.order[:0], n)[:n]
	for i := range s.order {
		s.order[i] = i
	}
	slices.SortFunc(s.order, func(a, b int) int {
		ea, eb := &s.buf[a], &s.buf[b]
		switch {
		case ea.score > eb.score:
			return -1
		case ea.score < eb.score:
			return 1
		}
		return ea.seq - eb.seq
	})
	var hSum, cSum float64
	for r, i := range s.order {
		h := math.Pow(float64(r+1), -1/s.cfg.beta)
		s.prob[i] = h
		hSum += h
	}
	for i := range s.buf {
		cSum += float64(s.iter - s.buf[i].last)
	}
	total := 0.0
	for i := range s.buf {
		p := (1 - s.cfg.rho) * s.prob[i] / hSum
		if cSum > 0 {
			p += s.cfg.rho * float64(s.iter-s.buf[i].last) / cSum
		} else {
			p += s.cfg.rho / float64(n)
		}
		s.prob[i] = p
		total += p
		s.cum[i] = total
	}
}

// Update scores the levels of the last Levels call and updates the buffer.
func (s *source) Update(it int, returns []float64) []LevelStat {
	n := len(s.buf)
	s.sums = slices.Grow(s.sums[:0], n)[:n]
	s.counts = slices.Grow(s.counts[:0], n)[:n]
	clear(s.sums)
	clear(s.counts)
	s.stats = s.stats[:0]
	for k, sl := range s.slots {
		st := LevelStat{Level: sl.level, Origin: sl.origin, Return: returns[k]}
		if sl.entry >= 0 {
			st.Oracle = s.buf[sl.entry].oracle
			s.sums[sl.entry] += returns[k]
			s.counts[sl.entry]++
		} else {
			st.Oracle = s.oracle.Return(sl.level)
		}
		st.Regret = st.Oracle - st.Return
		s.stats = append(s.stats, st)
	}
	// Replayed levels first: their scores are this iteration's, then the
	// new levels compete for room with them.
	for i := range n {
		if c := s.counts[i]; c > 0 {
			e := &s.buf[i]
			e.score, e.last = e.oracle-s.sums[i]/float64(c), s.iter
		}
	}
	for k, sl := range s.slots {
		if sl.entry >= 0 {
			continue
		}
		e := entry{level: sl.level, oracle: s.stats[k].Oracle, score: s.stats[k].Regret, last: s.iter, seq: s.entered}
		if len(s.buf) < s.cfg.buffer {
			s.buf = append(s.buf, e)
			s.entered++
			continue
		}
		low := 0
		for i := 1; i < len(s.buf); i++ {
			if b, l := &s.buf[i], &s.buf[low]; b.score < l.score || b.score == l.score && b.seq < l.seq {
				low = i
			}
		}
		if e.score > s.buf[low].score {
			s.buf[low] = e
			s.entered++
		}
	}
	for k := range s.stats {
		s.stats[k].Buffer = len(s.buf)
	}
	s.prob, s.cum = s.prob[:0], s.cum[:0]
	return s.stats
}
