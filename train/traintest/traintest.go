// Package traintest checks that a base optimizer keeps the contract of
// package train, in the manner of testing/fstest and testing/slogtest: a
// train.Method defined anywhere (evolve.GA, evolve.ES, sgd.REINFORCE, …) runs
// TestMethod in its tests, or Run, which returns the problems it finds as an
// error.
//
// The problem is one with a known optimum: the "train" world preset, whose
// exit is always reachable within the step limit (the suite checks this
// with breadth-first search on every level it scores), so the optimal
// training return is 1; and the planner family, which can attain it
// (agents.Planner{}: a step cost, θ_bias < 0, makes the shortest path to the
// exit, the only terminal cell, the best plan). Every check is
// deterministic: the seeds are fixed, and the scoring levels and rollouts
// are derived from Config.Seed.
package traintest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"mesa/agents"
	"mesa/train"
	"mesa/world"
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
	// Target is the fraction of the optimal training return (1) that the
	// best agent of the learning run must reach on EvalLevels held-out
	// training levels; 0 means DefaultTarget.
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
	return &train.Problem{Family: c.Family, Train: c.Train, Seed: seed}
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
	{"Canceled", checkCanceled},
	{"Errors", checkErrors},
}

// Run runs every check on m and returns the problems found, each prefixed
// with the name of its check:
//
//   - Learns: trained within Config.Budget, m's best returned agent (the
//     best on EvalLevels held-out training levels) reaches Target of the
//     optimal return (with a Reference, that θ must reach it too);
//   - Deterministic: the same seed gives byte-identical agents and
//     statistics (Encode) with 1 and 2 workers, and twice with 2;
//   - Seeds: different seeds give different θ;
//   - Records: the recorder sees the method's name, iterations from 1 that
//     never decrease or skip, EnvSteps and Episodes that never decrease,
//     sane min/mean/max/std and θ of the family's dimension; the result
//     agrees with the last record (its totals may add post-training
//     selection, such as the GA's validation) and holds finite agents;
//   - Budgets: a step budget, an episode budget, an iteration limit and a
//     target return each stop m with their status at the first iteration
//     boundary at which they apply, so a budget is never overshot by more
//     than one iteration;
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

// Score returns the mean base return of θ on levels, one episode per level
// with actions sampled from streams derived from seed. It checks first
// that every level's exit is reachable within its step limit, so that the
// optimal return on levels is 1.
func Score(ctx context.Context, fam agents.Family, theta []float64, levels []*world.Level, seed uint64) (float64, error) {
	for _, l := range levels {
		dist := l.Distances(make([]int32, len(l.Walls)), nil, l.Index(l.Start))
		if d := dist[l.Index(l.Exit.Pos)]; d < 0 || int(d) > l.StepLimit {
			return 0, fmt.Errorf("level %d: exit at distance %d, step limit %d: the optimal return is not 1", l.Seed, d, l.StepLimit)
		}
	}
	evs, err := train.Evaluate(ctx, fam, [][]float64{theta}, levels, seed, "traintest/score", 0, 0)
	if err != nil {
		return 0, err
	}
	return evs[0].Return, nil
}

func checkLearns(ctx context.Context, m train.Method, c Config) (string, error) {
	g, err := world.NewGenerator(c.Train)
	if err != nil {
		return "", err
	}
	levels := train.Levels(g, c.Seed, "traintest/levels", 0, c.EvalLevels)
	if c.Reference != nil {
		ret, err := Score(ctx, c.Family, c.Reference, levels, c.Seed)
		if err != nil {
			return "", err
		}
		if ret < c.Target {
			return "", fmt.Errorf("reference θ scores %.3f < target %.3f: the target is not attainable", ret, c.Target)
		}
	}
	res, rec, err := run(ctx, m, c.problem(c.Seed), c.Budget, 0)
	if err != nil {
		return "", err
	}
	if len(res.Agents) == 0 {
		return "", fmt.Errorf("no agents (status %v)", res.Status)
	}
	best, bestRet := -1, math.Inf(-1)
	for i, a := range res.Agents {
		ret, err := Score(ctx, c.Family, a.Params, levels, c.Seed)
		if err != nil {
			return "", err
		}
		if ret > bestRet {
			best, bestRet = i, ret
		}
	}
	a := res.Agents[best]
	log := fmt.Sprintf("%s: status %v after %d iterations, %d env steps, %d episodes; best agent %s #%d scores %.3f on %d held-out levels (training fitness %.3f)",
		m.Name(), res.Status, len(iterations(rec.Stats)), res.EnvSteps, res.Episodes, a.Role, a.Index, bestRet, len(levels), a.Fitness)
	var p problems
	if res.Status == train.Diverged || res.Status == train.Canceled {
		p.add("status %v", res.Status)
	}
	if bestRet < c.Target {
		p.add("best agent scores %.3f < target %.3f of the optimal return 1 within %d env steps", bestRet, c.Target, c.Budget.EnvSteps)
	}
	return log, p.err()
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
// times, for byte-for-byte comparisons of runs.
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
	// Totals may exceed the last record by what the method spends after
	// its last iteration to choose its agents (the GA's validation of its
	// hall of fame); the Budgets check bounds that.
	if res.EnvSteps < prev.EnvSteps || res.Episodes < prev.Episodes || res.Last.Iteration != prev.Iteration {
		ps.add("result has %d steps, %d episodes, last iteration %d; last record %d, %d, %d",
			res.EnvSteps, res.Episodes, res.Last.Iteration, prev.EnvSteps, prev.Episodes, prev.Iteration)
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

func checkBudgets(ctx context.Context, m train.Method, c Config) (string, error) {
	p := c.problem(c.Seed)
	// A reference run tells what one iteration costs.
	_, rec, err := run(ctx, m, p, train.Settings{Iterations: 2}, 0)
	if err != nil {
		return "", err
	}
	ref := iterations(rec.Stats)
	if len(ref) != 2 {
		return "", fmt.Errorf("Iterations 2: %d iterations recorded", len(ref))
	}
	steps, episodes := ref[0].EnvSteps*2+1, ref[0].Episodes*2+1
	tests := []struct {
		name  string
		s     train.Settings
		want  train.Status
		spent func(s train.Stats) bool // whether the budget is spent after s
	}{
		{"steps", train.Settings{EnvSteps: steps}, train.StepBudget,
			func(s train.Stats) bool { return s.EnvSteps >= steps }},
		{"episodes", train.Settings{Episodes: episodes}, train.EpisodeBudget,
			func(s train.Stats) bool { return s.Episodes >= episodes }},
		{"iterations", train.Settings{Iterations: 3}, train.IterationLimit,
			func(s train.Stats) bool { return s.Iteration >= 3 }},
		{"target", train.Settings{TargetReturn: 1e-9}, train.TargetReached,
			func(s train.Stats) bool { return s.Mean >= 1e-9 }},
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
		if !tt.spent(last) {
			ps.add("%s: stopped at iteration %d (%d steps, %d episodes, mean %v) before the budget was spent",
				tt.name, last.Iteration, last.EnvSteps, last.Episodes, last.Mean)
		}
		// Whatever is spent after the last iteration, to choose the
		// agents, costs less than one more iteration would.
		if res.EnvSteps > last.EnvSteps+ref[0].EnvSteps || res.Episodes > last.Episodes+ref[0].Episodes {
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
