// Package traintest checks that a base optimizer keeps the contract of
// package train, in the manner of testing/fstest and testing/slogtest: a
// train.Method defined anywhere (evolve.GA, evolve.ES, sgd.REINFORCE, …) runs
// TestMethod in its tests, or Run, which returns the problems it finds as an
// error.
//
// The problem is one with a known optimum: the "train" world preset, whose
// exit is always reachable within the step limit (the suite checks this
// with breadth-first search on every level it scores), so the optimal
// training return on a level is that of the oracle (agents.Oracle), which
// takes a shortest path: 1 − 0.9·d/T under world.Sooner for an exit at
// distance d and a step limit T, 1 under world.Binary (see Optimum); and
// the planner family, which can attain it (agents.Planner{}: a step cost,
// θ_bias < 0, makes the shortest path to the exit, the only terminal cell,
// the best plan). Every check is deterministic: the seeds are fixed, and
// the scoring levels and rollouts are derived from Config.Seed.
package traintest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// Defaults of a zero Config.
const (
	DefaultTarget     = 0.95
	DefaultEvalLevels = 256
	DefaultSeed       = 1
)

// Config adapts the suite to a method. The zero value runs every check on
// the default problem.
type Config struct {
	// Family is the policy family; nil means agents.Planner{}.
	Family agents.Family
	// Train is the training distribution; a zero Width means the "train"
	// world preset. The learning check needs every level to have a
	// reachable exit, which the suite verifies on the levels it scores.
	Train world.Distribution
	// BaseReturn is the base return of the learning problem; the zero
	// value is world.Sooner.
	BaseReturn world.BaseReturn
	// Budget is the method's documented budget for the learning check:
	// trained with it, the method must reach Target. Zero EnvSteps means
	// train.DefaultEnvSteps; Workers and Recorder are set by the suite.
	Budget train.Settings
	// Quick bounds the short runs of the Deterministic, Seeds and Records
	// checks and the divergence case of Errors; zero means Iterations 3.
	// Workers and Recorder are set by the suite. (Budgets and Canceled
	// set their own limits; a method that ignores them runs to
	// train.DefaultEnvSteps.)
	Quick train.Settings
	// Target is the fraction of the optimal training return (Optimum,
	// the oracle's) that the final agent of the learning run must reach
	// on EvalLevels held-out training levels; 0 means DefaultTarget.
	Target float64
	// EvalLevels is the number of held-out training levels the learning
	// check scores agents on; 0 means DefaultEvalLevels.
	EvalLevels int
	// Seed is the problem seed; 0 means DefaultSeed. The other checks use
	// Seed+1 (a different seed) as well.
	Seed uint64
	// Reference, if not nil, is a hand-set θ that must itself reach
	// Target: evidence that the target is attainable by Family. With a nil
	// Family it defaults to the planner's θ with kind_exit = 10.
	Reference []float64
	// SkipLearning skips the learning check (e.g. under testing.Short).
	SkipLearning bool
}

func (c Config) resolve() (Config, error) {
	if c.Family == nil {
		c.Family = agents.Planner{}
		if c.Reference == nil {
			c.Reference = make([]float64, world.CellFeatures)
			c.Reference[world.FeatKind+int(world.Exit)] = 10
		}
	}
	if c.Train.Width == (world.IntRange{}) {
		d, err := world.Preset("train")
		if err != nil {
			return c, err
		}
		c.Train = d
	}
	if c.Budget.EnvSteps == 0 {
		c.Budget.EnvSteps = train.DefaultEnvSteps
	}
	if c.Quick == (train.Settings{}) {
		c.Quick.Iterations = 3
	}
	if c.Target == 0 {
		c.Target = DefaultTarget
	}
	if c.EvalLevels == 0 {
		c.EvalLevels = DefaultEvalLevels
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	return c, nil
}

func (c Config) problem(seed uint64) *train.Problem {
	return &train.Problem{Family: c.Family, Train: c.Train, BaseReturn: c.BaseReturn, Seed: seed}
}

// The checks, in the order they run. Each returns a summary for the test
// log (may be empty) and the problems it found.
var checks = []struct {
	name string
	fn   func(ctx context.Context, m train.Method, c Config) (string, error)
}{
	{"Learns", checkLearns},
	{"Deterministic", checkDeterministic},
	{"Seeds", checkSeeds},
	{"Records", checkRecords},
	{"Budgets", checkBudgets},
	{"Curriculum", checkCurriculum},
	{"Objective", checkObjective},
	{"Canceled", checkCanceled},
	{"Errors", checkErrors},
}

// Run runs every check on m and returns the problems found, each prefixed
// with the name of its check:
//
//   - Learns: trained within Config.Budget, m's final agent (the one with
//     Role train.RoleFinal) reaches Target of the optimal return, the
//     oracle's, on EvalLevels held-out training levels (with a Reference,
//     that θ must reach it too), and a step budget is spent to within
//     0.5%;
//   - Deterministic: the same seed gives byte-identical agents and
//     statistics (Encode) with 1 and 2 workers, and twice with 2;
//   - Seeds: different seeds give different θ;
//   - Records: the recorder sees the method's name, iterations from 1 that
//     never decrease or skip, EnvSteps and Episodes that never decrease,
//     sane min/mean/max/std and θ of the family's dimension; the result
//     agrees with the last record (the same totals: nothing is spent after
//     the last iteration to choose agents) and holds finite agents, exactly
//     one of them with Role train.RoleFinal;
//   - Budgets: a step budget and an episode budget each stop m with their
//     status at the episode at which they are spent (in the middle of an
//     iteration if need be: the step budget overshot by less than the
//     longest episode, the episode budget not at all), and an iteration
//     limit and a target return at the first iteration boundary at which
//     they apply; the result has exactly one final agent;
//   - Curriculum: m trains on the levels its problem's level source
//     (Problem.Source) hands out and on no other, asks for them once per
//     iteration and reports its agent's return on each to the source
//     (finite, at most the oracle's) before the next iteration, records
//     the source's scores in Stats.Levels, and charges every episode it
//     plays: stopped by an iteration limit, the env steps its policies
//     took are the result's;
//   - Objective: m maximises the problem's base return. On Dawdler, whose
//     agent always reaches the exit, sooner or later depending on θ,
//     trained for ObjectiveBudget env steps: every return m records under
//     world.Binary is 1, and under world.Sooner m's final agent closes at
//     least half the gap between the initial θ's return and the optimum;
//   - Canceled: a context canceled before training, or by the recorder
//     during iteration 2, stops m with train.Canceled, no error, and no
//     record after iteration 3;
//   - Errors: an invalid problem is an error, a failing recorder's error
//     is returned (wrapped), and a non-finite initial θ stops m with
//     train.Diverged.
func Run(ctx context.Context, m train.Method, cfg Config) error {
	c, err := cfg.resolve()
	if err != nil {
		return err
	}
	var errs []error
	for _, ck := range checks {
		if ck.name == "Learns" && c.SkipLearning {
			continue
		}
		if _, err := ck.fn(ctx, m, c); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ck.name, err))
		}
	}
	return errors.Join(errs...)
}

// TestMethod runs every check of Run on m, each as a subtest of t, and logs
// the learning run's summary (status, iterations, env steps, held-out
// return).
func TestMethod(t *testing.T, m train.Method, cfg Config) {
	t.Helper()
	c, err := cfg.resolve()
	if err != nil {
		t.Fatal(err)
	}
	for _, ck := range checks {
		t.Run(ck.name, func(t *testing.T) {
			if ck.name == "Learns" && c.SkipLearning {
				t.Skip("skipped by Config.SkipLearning")
			}
			log, err := ck.fn(t.Context(), m, c)
			if log != "" {
				t.Log(log)
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
}

// Recorder keeps a copy of every Stats it receives, Params included. It is
// safe for concurrent use.
type Recorder struct {
	mu    sync.Mutex
	Stats []train.Stats
	// OnRecord, if not nil, is called with each Stats before it is kept;
	// its error is returned from Record.
	OnRecord func(s *train.Stats) error
}

// Record implements train.Recorder.
func (r *Recorder) Record(s *train.Stats) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.OnRecord != nil {
		if err := r.OnRecord(s); err != nil {
			return err
		}
	}
	c := *s
	c.Params = slices.Clone(s.Params)
	c.Levels = slices.Clone(s.Levels)
	r.Stats = append(r.Stats, c)
	return nil
}

// problems collects what a check finds, bounded so that a badly broken
// method gives a readable error.
type problems []error

func (p *problems) add(format string, args ...any) {
	if len(*p) < 20 {
		*p = append(*p, fmt.Errorf(format, args...))
	}
}

func (p problems) err() error { return errors.Join(p...) }

// run trains m on p with s, recording, on the given number of workers.
func run(ctx context.Context, m train.Method, p *train.Problem, s train.Settings, workers int) (*train.Result, *Recorder, error) {
	rec := &Recorder{}
	s.Workers, s.Recorder = workers, rec
	res, err := m.Train(ctx, p, &s)
	if err != nil {
		return nil, nil, fmt.Errorf("%s.Train: %w", m.Name(), err)
	}
	if res == nil {
		return nil, nil, fmt.Errorf("%s.Train returned a nil result and no error", m.Name())
	}
	return res, rec, nil
}

// Score returns the mean base return of θ, a parameter vector of
// p.Family scored by p.BaseReturn, on levels: one episode per level with
// actions sampled from streams derived from p.Seed.
func Score(ctx context.Context, p *train.Problem, theta []float64, levels []*world.Level) (float64, error) {
	evs, err := train.Evaluate(ctx, p, [][]float64{theta}, levels, "traintest/score", 0, 0, nil)
	if err != nil {
		return 0, err
	}
	return evs[0].Return, nil
}

// Optimum returns the optimal mean base return under rule on levels: that
// of the oracle (agents.Oracle), which reaches each exit by a shortest
// path, in d steps for an exit at distance d. No agent gets out sooner. It
// reports a level whose exit is not reachable within its step limit.
func Optimum(rule world.BaseReturn, levels []*world.Level) (float64, error) {
	sum := 0.0
	for _, l := range levels {
		dist := l.Distances(make([]int32, len(l.Walls)), nil, l.Index(l.Start))
		d := dist[l.Index(l.Exit.Pos)]
		if d < 0 || int(d) > l.StepLimit {
			return 0, fmt.Errorf("level %d: exit at distance %d, step limit %d: unreachable", l.Seed, d, l.StepLimit)
		}
		sum += rule.Return(true, int(d), l.StepLimit)
	}
	return sum / float64(max(len(levels), 1)), nil
}

// final returns the one agent of res with Role train.RoleFinal, or an error
// saying how many there are.
func final(res *train.Result) (train.Agent, error) {
	n := 0
	var a train.Agent
	for _, b := range res.Agents {
		if b.Role == train.RoleFinal {
			a = b
			n++
		}
	}
	if n != 1 {
		return a, fmt.Errorf("%d agents with role %q, want exactly 1 (status %v)", n, train.RoleFinal, res.Status)
	}
	return a, nil
}

func checkLearns(ctx context.Context, m train.Method, c Config) (string, error) {
	g, err := world.NewGenerator(c.Train)
	if err != nil {
		return "", err
	}
	levels := train.Levels(g, c.Seed, "traintest/levels", 0, c.EvalLevels)
	opt, err := Optimum(c.BaseReturn, levels)
	if err != nil {
		return "", err
	}
	p := c.problem(c.Seed)
	if c.Reference != nil {
		ret, err := Score(ctx, p, c.Reference, levels)
		if err != nil {
			return "", err
		}
		if ret < c.Target*opt {
			return "", fmt.Errorf("reference θ scores %.3f < target %.3f × optimum %.3f: the target is not attainable", ret, c.Target, opt)
		}
	}
	res, rec, err := run(ctx, m, p, c.Budget, 0)
	if err != nil {
		return "", err
	}
	a, err := final(res)
	if err != nil {
		return "", err
	}
	ret, err := Score(ctx, p, a.Params, levels)
	if err != nil {
		return "", err
	}
	log := fmt.Sprintf("%s: status %v after %d iterations, %d env steps, %d episodes; final agent scores %.3f (%.3f of the optimum %.3f) on %d held-out levels (training fitness %.3f)",
		m.Name(), res.Status, len(iterations(rec.Stats)), res.EnvSteps, res.Episodes, ret, ret/opt, opt, len(levels), a.Fitness)
	var ps problems
	if res.Status == train.Diverged || res.Status == train.Canceled {
		ps.add("status %v", res.Status)
	}
	if ret < c.Target*opt {
		ps.add("final agent scores %.3f < target %.3f × the optimal return %.3f within %d env steps", ret, c.Target, opt, c.Budget.EnvSteps)
	}
	if b := c.Budget.EnvSteps; res.Status == train.StepBudget && math.Abs(float64(res.EnvSteps-b)) > 0.005*float64(b) {
		ps.add("spent %d env steps of a budget of %d: more than 0.5%% off", res.EnvSteps, b)
	}
	return log, ps.err()
}

// iterations returns, per recorded iteration in order, the largest EnvSteps
// and Episodes recorded for it.
func iterations(stats []train.Stats) []train.Stats {
	var out []train.Stats
	for _, s := range stats {
		if n := len(out); n > 0 && out[n-1].Iteration == s.Iteration {
			out[n-1].EnvSteps = max(out[n-1].EnvSteps, s.EnvSteps)
			out[n-1].Episodes = max(out[n-1].Episodes, s.Episodes)
			continue
		}
		out = append(out, s)
	}
	return out
}

// Encode appends a byte encoding of everything in r and stats but elapsed
// times (of the levels in Stats.Levels, their seeds), for byte-for-byte
// comparisons of runs.
func Encode(b []byte, r *train.Result, stats []train.Stats) []byte {
	f := func(v float64) { b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v)) }
	i := func(v int) { b = binary.LittleEndian.AppendUint64(b, uint64(v)) }
	st := func(s *train.Stats) {
		b = append(b, s.Method...)
		i(s.Iteration)
		i(s.Population)
		i(s.EnvSteps)
		i(s.Episodes)
		for _, v := range []float64{s.Min, s.Mean, s.Max, s.Std, s.Best, s.GradNorm, s.Entropy, s.StepSize} {
			f(v)
		}
		i(len(s.Params))
		for _, v := range s.Params {
			f(v)
		}
		i(len(s.Levels))
		for _, l := range s.Levels {
			i(int(l.Level.Seed))
			i(int(l.Origin))
			i(l.Buffer)
			f(l.Return)
			f(l.Oracle)
			f(l.Regret)
		}
	}
	i(int(r.Status))
	i(r.EnvSteps)
	i(r.Episodes)
	st(&r.Last)
	i(len(r.Agents))
	for _, a := range r.Agents {
		b = append(b, a.Role...)
		i(a.Index)
		f(a.Fitness)
		i(len(a.Params))
		for _, v := range a.Params {
			f(v)
		}
	}
	i(len(stats))
	for k := range stats {
		st(&stats[k])
	}
	return b
}

func checkDeterministic(ctx context.Context, m train.Method, c Config) (string, error) {
	p := c.problem(c.Seed)
	var enc [3][]byte
	for i, workers := range []int{1, 2, 2} {
		res, rec, err := run(ctx, m, p, c.Quick, workers)
		if err != nil {
			return "", err
		}
		enc[i] = Encode(nil, res, rec.Stats)
	}
	var ps problems
	if !bytes.Equal(enc[0], enc[1]) {
		ps.add("1 and 2 workers give different results or statistics")
	}
	if !bytes.Equal(enc[1], enc[2]) {
		ps.add("two runs with 2 workers give different results or statistics")
	}
	return "", ps.err()
}

func checkSeeds(ctx context.Context, m train.Method, c Config) (string, error) {
	r1, _, err := run(ctx, m, c.problem(c.Seed), c.Quick, 0)
	if err != nil {
		return "", err
	}
	r2, _, err := run(ctx, m, c.problem(c.Seed+1), c.Quick, 0)
	if err != nil {
		return "", err
	}
	if len(r1.Agents) == 0 || len(r2.Agents) == 0 {
		return "", fmt.Errorf("no agents (statuses %v, %v)", r1.Status, r2.Status)
	}
	if slices.Equal(r1.Agents[0].Params, r2.Agents[0].Params) {
		return "", fmt.Errorf("seeds %d and %d give the same θ %v", c.Seed, c.Seed+1, r1.Agents[0].Params)
	}
	return "", nil
}

func checkRecords(ctx context.Context, m train.Method, c Config) (string, error) {
	res, rec, err := run(ctx, m, c.problem(c.Seed), c.Quick, 0)
	if err != nil {
		return "", err
	}
	if len(rec.Stats) == 0 {
		return "", errors.New("nothing recorded")
	}
	var ps problems
	dim := c.Family.Dim()
	prev := train.Stats{}
	for k, s := range rec.Stats {
		if s.Method != m.Name() {
			ps.add("record %d: method %q, want %q", k, s.Method, m.Name())
		}
		if s.Iteration < max(prev.Iteration, 1) || s.Iteration > prev.Iteration+1 {
			ps.add("record %d: iteration %d after %d", k, s.Iteration, prev.Iteration)
		}
		if s.EnvSteps < prev.EnvSteps || s.Episodes < prev.Episodes {
			ps.add("record %d: env steps %d, episodes %d after %d, %d", k, s.EnvSteps, s.Episodes, prev.EnvSteps, prev.Episodes)
		}
		if s.EnvSteps <= 0 || s.Episodes <= 0 {
			ps.add("record %d: env steps %d, episodes %d: nothing charged", k, s.EnvSteps, s.Episodes)
		}
		if len(s.Params) != dim {
			ps.add("record %d: %d params, family has %d", k, len(s.Params), dim)
		}
		if !(s.Min <= s.Mean && s.Mean <= s.Max && s.Std >= 0) {
			ps.add("record %d: min %v, mean %v, max %v, std %v", k, s.Min, s.Mean, s.Max, s.Std)
		}
		prev = s
	}
	// Without a step or episode budget to cut an iteration short, nothing
	// is spent after the last recorded iteration.
	cut := c.Quick.EnvSteps != 0 || c.Quick.Episodes != 0
	if res.EnvSteps < prev.EnvSteps || res.Episodes < prev.Episodes || res.Last.Iteration != prev.Iteration ||
		!cut && (res.EnvSteps != prev.EnvSteps || res.Episodes != prev.Episodes) {
		ps.add("result has %d steps, %d episodes, last iteration %d; last record %d, %d, %d",
			res.EnvSteps, res.Episodes, res.Last.Iteration, prev.EnvSteps, prev.Episodes, prev.Iteration)
	}
	if _, err := final(res); err != nil {
		ps.add("%v", err)
	}
	if res.Last.Params != nil {
		ps.add("Result.Last.Params is set")
	}
	if len(res.Agents) == 0 {
		ps.add("no agents")
	}
	for _, a := range res.Agents {
		if len(a.Params) != dim || !train.Finite(a.Params) || math.IsNaN(a.Fitness) || a.Role == "" {
			ps.add("agent %q #%d: %d params (want %d), fitness %v", a.Role, a.Index, len(a.Params), dim, a.Fitness)
		}
	}
	return "", ps.err()
}

// maxEpisode returns the longest an episode of d can be: its step limit.
func maxEpisode(d world.Distribution) int {
	if d.StepLimit > 0 {
		return d.StepLimit
	}
	h := d.Height.Max
	if d.Height == (world.IntRange{}) {
		h = d.Width.Max
	}
	return d.Width.Max * h
}

func checkBudgets(ctx context.Context, m train.Method, c Config) (string, error) {
	p := c.problem(c.Seed)
	// A reference run tells what one iteration costs.
	_, rec, err := run(ctx, m, p, train.Settings{Iterations: 2}, 0)
	if err != nil {
		return "", err
	}
	ref := iterations(rec.Stats)
	if len(ref) != 2 {
		return "", fmt.Errorf("a run with Iterations 2 recorded %d iterations", len(ref))
	}
	// Budgets that run out in the middle of the third iteration.
	steps, episodes := ref[0].EnvSteps*2+1, ref[0].Episodes*2+1
	longest := maxEpisode(c.Train)
	tests := []struct {
		name  string
		s     train.Settings
		want  train.Status
		spent func(s train.Stats) bool // whether the budget is spent after s
		// exact reports whether the result's totals are right for the
		// budget: the episode at which it is spent.
		exact func(r *train.Result) bool
	}{
		{"steps", train.Settings{EnvSteps: steps}, train.StepBudget,
			func(s train.Stats) bool { return s.EnvSteps >= steps },
			func(r *train.Result) bool { return r.EnvSteps >= steps && r.EnvSteps < steps+longest }},
		{"episodes", train.Settings{Episodes: episodes}, train.EpisodeBudget,
			func(s train.Stats) bool { return s.Episodes >= episodes },
			func(r *train.Result) bool { return r.Episodes == episodes }},
		{"iterations", train.Settings{Iterations: 3}, train.IterationLimit,
			func(s train.Stats) bool { return s.Iteration >= 3 }, nil},
		{"target", train.Settings{TargetReturn: 1e-9}, train.TargetReached,
			func(s train.Stats) bool { return s.Mean >= 1e-9 }, nil},
	}
	var ps problems
	for _, tt := range tests {
		res, rec, err := run(ctx, m, p, tt.s, 0)
		if err != nil {
			return "", err
		}
		its := iterations(rec.Stats)
		if res.Status != tt.want {
			ps.add("%s: status %v, want %v", tt.name, res.Status, tt.want)
		}
		if _, err := final(res); err != nil {
			ps.add("%s: %v", tt.name, err)
		}
		if len(its) == 0 {
			ps.add("%s: nothing recorded", tt.name)
			continue
		}
		for k, s := range its[:len(its)-1] {
			if tt.spent(s) {
				ps.add("%s: budget spent at iteration %d but training went on to iteration %d", tt.name, k+1, len(its))
				break
			}
		}
		last := its[len(its)-1]
		if res.EnvSteps < last.EnvSteps || res.Episodes < last.Episodes {
			ps.add("%s: result charges %d steps, %d episodes, less than the last record's %d, %d",
				tt.name, res.EnvSteps, res.Episodes, last.EnvSteps, last.Episodes)
		}
		if tt.exact == nil {
			// An iteration boundary: nothing is spent after it.
			if !tt.spent(last) {
				ps.add("%s: stopped at iteration %d (mean %v) before the limit applied", tt.name, last.Iteration, last.Mean)
			}
			if res.EnvSteps != last.EnvSteps || res.Episodes != last.Episodes {
				ps.add("%s: result charges %d steps, %d episodes; the last iteration ended at %d, %d",
					tt.name, res.EnvSteps, res.Episodes, last.EnvSteps, last.Episodes)
			}
			continue
		}
		if !tt.exact(res) {
			ps.add("%s: stopped at %d steps, %d episodes: not the episode at which the budget (%d steps or %d episodes) is spent (episodes are at most %d steps)",
				tt.name, res.EnvSteps, res.Episodes, tt.s.EnvSteps, tt.s.Episodes, longest)
		}
		// The iteration cut short costs less than a whole one.
		if res.EnvSteps-last.EnvSteps >= 2*ref[0].EnvSteps || res.Episodes-last.Episodes >= 2*ref[0].Episodes {
			ps.add("%s: result charges %d steps, %d episodes after the last record's %d, %d: more than an iteration",
				tt.name, res.EnvSteps, res.Episodes, last.EnvSteps, last.Episodes)
		}
	}
	return "", ps.err()
}

func checkCanceled(ctx context.Context, m train.Method, c Config) (string, error) {
	p := c.problem(c.Seed)
	var ps problems
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	res, err := m.Train(canceled, p, &train.Settings{})
	switch {
	case err != nil:
		ps.add("canceled before training: error %v, want status canceled", err)
	case res.Status != train.Canceled:
		ps.add("canceled before training: status %v", res.Status)
	}

	canceled, cancel = context.WithCancel(ctx)
	defer cancel()
	rec := &Recorder{OnRecord: func(s *train.Stats) error {
		if s.Iteration >= 2 {
			cancel()
		}
		return nil
	}}
	res, err = m.Train(canceled, p, &train.Settings{Recorder: rec})
	switch {
	case err != nil:
		ps.add("canceled during training: error %v, want status canceled", err)
	case res.Status != train.Canceled:
		ps.add("canceled during training: status %v", res.Status)
	}
	// The cancellation may be noticed at the end of iteration 2 or, by a
	// method that checks its status before recording, during iteration 3.
	for _, s := range rec.Stats {
		if s.Iteration > 3 {
			ps.add("canceled during iteration 2, went on to record iteration %d", s.Iteration)
			break
		}
	}
	return "", ps.err()
}

var errRecorder = errors.New("traintest: recorder failure")

func checkErrors(ctx context.Context, m train.Method, c Config) (string, error) {
	var ps problems
	bad := []struct {
		what string
		p    *train.Problem
	}{
		{"no family", &train.Problem{Train: c.Train, Seed: c.Seed}},
		{"zero distribution", &train.Problem{Family: c.Family, Seed: c.Seed}},
		{"init of the wrong length", &train.Problem{Family: c.Family, Train: c.Train, Seed: c.Seed, Init: make([]float64, c.Family.Dim()+1)}},
	}
	for _, b := range bad {
		if _, err := m.Train(ctx, b.p, nil); err == nil {
			ps.add("problem with %s: no error", b.what)
		}
	}
	rec := &Recorder{OnRecord: func(s *train.Stats) error {
		if s.Iteration >= 2 {
			return errRecorder
		}
		return nil
	}}
	if _, err := m.Train(ctx, c.problem(c.Seed), &train.Settings{Recorder: rec}); !errors.Is(err, errRecorder) {
		ps.add("failing recorder: error %v, want one wrapping %q", err, errRecorder)
	}
	for _, v := range []float64{math.NaN(), math.Inf(1)} {
		p := c.problem(c.Seed)
		p.Init = make([]float64, c.Family.Dim())
		for i := range p.Init {
			p.Init[i] = v
		}
		s := c.Quick
		res, err := m.Train(ctx, p, &s)
		switch {
		case err != nil:
			ps.add("initial θ all %v: error %v, want status diverged", v, err)
		case res.Status != train.Diverged:
			ps.add("initial θ all %v: status %v, want diverged", v, res.Status)
		}
	}
	return "", ps.err()
}

// Dawdler is the policy family of the Objective check, with one parameter
// θ: at every step the agent takes a step along a shortest path to the exit
// with probability q = (1 + σ(θ))/2, where σ is the logistic function, and
// otherwise moves into a wall next to it, which costs a step and leaves it
// where it is (where no wall is next to it, it always steps toward the
// exit). It always gets out on DawdlerLevels, sooner the larger θ: under
// world.Binary every θ is optimal, under world.Sooner larger is better. Its
// initial θ is 0 (q = 3/4).
type Dawdler struct{}

// DawdlerLevels is the distribution of the Objective check: 7x7 mazes (at
// most 16 steps from start to exit) with a step limit of 100, which a
// Dawdler (q ≥ 1/2) fails to reach within the limit with a probability
// below 1e-9.
func DawdlerLevels() world.Distribution {
	d, err := world.Preset("train")
	if err != nil {
		panic(err) // a built-in preset
	}
	d.Name = "dawdler"
	d.Width = world.IntRange{Min: 7, Max: 7}
	d.StepLimit = 100
	return d
}

func (Dawdler) Name() string                       { return "dawdler" }
func (Dawdler) Dim() int                           { return 1 }
func (Dawdler) ParamNames() []string               { return []string{"hurry"} }
func (Dawdler) Init(theta []float64, _ *rand.Rand) { theta[0] = 0 }
func (Dawdler) Policy(theta []float64) agents.Differentiable {
	return &dawdlerPolicy{theta: theta}
}

type dawdlerPolicy struct {
	theta      []float64
	dist       []int32
	step, wait world.Action
	q          float64
}

func (p *dawdlerPolicy) Reset(e *world.Episode) {
	l := e.Level()
	if len(p.dist) != len(l.Walls) {
		p.dist = make([]int32, len(l.Walls))
	}
	l.Distances(p.dist, nil, l.Index(l.Exit.Pos))
}

func (p *dawdlerPolicy) Probs(pr *agents.Probs, e *world.Episode) {
	l := e.Level()
	here := e.Cell()
	off := l.Offsets()
	p.step, p.wait = world.NumActions, world.NumActions
	for a, o := range off {
		n := here + o
		switch {
		case l.Walls[n]:
			if p.wait == world.NumActions {
				p.wait = world.Action(a)
			}
		case p.dist[n] >= 0 && p.dist[n] < p.dist[here] && p.step == world.NumActions:
			p.step = world.Action(a)
		}
	}
	*pr = agents.Probs{}
	if p.step == world.NumActions { // at the exit: not reached in play
		p.step = 0
	}
	if p.wait == world.NumActions {
		p.wait = p.step
	}
	p.q = (1 + 1/(1+math.Exp(-p.theta[0]))) / 2
	pr[p.step] += p.q
	pr[p.wait] += 1 - p.q
}

// GradLogProb: ∂q/∂θ = σ(1−σ)/2 = (2q−1)(1−q), so ∂log q/∂θ = (2q−1)(1−q)/q
// and ∂log(1−q)/∂θ = −(2q−1).
func (p *dawdlerPolicy) GradLogProb(grad []float64, a world.Action, scale float64) {
	switch {
	case p.step == p.wait:
	case a == p.step:
		grad[0] += scale * (2*p.q - 1) * (1 - p.q) / p.q
	case a == p.wait:
		grad[0] -= scale * (2*p.q - 1)
	}
}

// ObjectiveBudget is the step budget of each training in the Objective
// check.
const ObjectiveBudget = 300_000

func checkObjective(ctx context.Context, m train.Method, c Config) (string, error) {
	d := DawdlerLevels()
	g, err := world.NewGenerator(d)
	if err != nil {
		return "", err
	}
	levels := train.Levels(g, c.Seed, "traintest/dawdler", 0, 200)
	var ps problems
	var log string
	for _, rule := range []world.BaseReturn{world.Binary, world.Sooner} {
		p := &train.Problem{Family: Dawdler{}, Train: d, BaseReturn: rule, Seed: c.Seed}
		res, rec, err := run(ctx, m, p, train.Settings{EnvSteps: ObjectiveBudget}, 0)
		if err != nil {
			return "", err
		}
		a, err := final(res)
		if err != nil {
			ps.add("%v: %v", rule, err)
			continue
		}
		if len(rec.Stats) == 0 {
			ps.add("%v: nothing recorded", rule)
			continue
		}
		if rule == world.Binary {
			for _, s := range rec.Stats {
				if s.Min != 1 || s.Max != 1 {
					ps.add("binary: iteration %d records returns in [%v, %v]; every episode scores 1", s.Iteration, s.Min, s.Max)
					break
				}
			}
			continue
		}
		p.Seed = c.Seed + 1 // held-out rollouts
		before, err := Score(ctx, p, []float64{0}, levels)
		if err != nil {
			return "", err
		}
		after, err := Score(ctx, p, a.Params, levels)
		if err != nil {
			return "", err
		}
		opt, err := Optimum(rule, levels)
		if err != nil {
			return "", err
		}
		log = fmt.Sprintf("sooner: θ %.3f → %.3f, return %.4f → %.4f (optimum %.4f)", 0.0, a.Params[0], before, after, opt)
		// Half the way from the initial θ to the optimum.
		if after < before+(opt-before)/2 {
			ps.add("sooner: the final θ %v scores %.4f, the initial θ 0 %.4f, the optimum %.4f: not optimising the sooner return",
				a.Params, after, before, opt)
		}
	}
	return log, ps.err()
}
