// Package sgd is the gradient base optimizer: REINFORCE with a baseline
// (Williams 1992), stepping θ with SGD, momentum or Adam.
//
// One update rolls out a minibatch of episodes with the current θ, in
// parallel, and estimates the gradient of the expected base return
//
//	g = (1/B) Σᵢ (Rᵢ − bᵢ) Σₜ ∇θ log π(aᵢₜ | sᵢₜ)  +  c · (1/T) Σᵢ Σₜ ∇θ H(π(·|sᵢₜ))
//
// where Rᵢ is episode i's base return under the problem's rule
// (train.Problem.BaseReturn: by default 1 − 0.9·t/T for reaching the exit
// on step t of step limit T, else 0), bᵢ its baseline, c the entropy bonus
// and T the number of steps in the batch. The
// entropy gradient at a visited state is exact, from the policy's own
// log-probability gradients: ∇H = −Σₐ πₐ log πₐ ∇log πₐ (the identity
// Σₐ πₐ ∇log πₐ = 0 removes the other term). It does not differentiate
// through the distribution of visited states, as usual for an entropy
// regulariser. The base reward arrives only at the end of an episode, so
// the return-to-go of every step is the episode's return.
//
// Every random stream is derived from the problem's seed: the initial θ
// ("sgd-init"), the levels (the problem's level source with purpose
// "sgd-level", by default fresh levels, train.Levels(…, "sgd-level", u,
// B) for update u; see REINFORCE.LevelPool) and the actions of episode i
// of update u ("sgd-rollout", u, i), both 0-based. After each complete
// update the level source learns the return of each episode on its level:
// a level's regret is the oracle's return minus the return the current θ
// got there, one sampled episode.
// Per-episode gradients are kept in separate buffers and summed in episode
// order, so θ and every statistic are bit-identical for any number of
// workers. The episodes of an update are charged to the budget in episode
// order (train.Meter.Charge); when the budget is spent before the last,
// training stops there and the cut batch is not used.
package sgd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// Defaults of a zero REINFORCE.
const (
	DefaultBatchSize    = 16
	DefaultLearningRate = 0.05 // of the default Adam optimizer, for families without their own (DefaultLearningRateFor)
	DefaultBaselineRate = 0.1
	DefaultClipNorm     = 10.0
)

// defaultLearningRates are the learning rates of the default Adam optimizer
// by policy family name (agents.Family.Name), chosen on the "train" preset
// at 4M env steps, 3-5 training seeds, success on 400 held-out levels:
//
//   - planner 0.05: its 17 weights learn in 1M steps (see TestLearning);
//   - reactive 0.02: 0.01, 0.02 and 0.05 all reach 97-98% mean success
//     (min 92-96%);
//   - mlp 0.01: 97-99% success, where 0.02 gives 82% and 0.05 collapses
//     to a deterministic policy (30%).
//
// Other families get DefaultLearningRate. Unexported, so that nothing
// changes them at run time: a family registered with mesa/experiment
// brings its own (experiment.FamilyType.LearningRate).
var defaultLearningRates = map[string]float64{"planner": 0.05, "reactive": 0.02, "mlp": 0.01}

// DefaultLearningRateFor returns the default Adam learning rate of family,
// a name as in defaultLearningRates.
func DefaultLearningRateFor(family string) float64 {
	if r, ok := defaultLearningRates[family]; ok {
		return r
	}
	return DefaultLearningRate
}

// A Baseline says what REINFORCE subtracts from each episode's return. Every
// choice leaves the gradient estimate unbiased: none depends on the actions
// of the episode it is applied to.
type Baseline int

const (
	// BaselineRunningMean (the zero value) is the bias-corrected
	// exponential moving average of the batch mean returns of earlier
	// updates: m ← (1−α)m + α·mean(R), b = m / (1 − (1−α)ᵏ) after k
	// updates, and b = 0 in the first update. α is
	// REINFORCE.BaselineRate.
	BaselineRunningMean Baseline = iota
	// BaselineBatchMean is the leave-one-out mean of the batch: episode
	// i gets the mean return of the other B−1 episodes (0 when B = 1).
	// Including episode i itself would bias the estimate by a factor
	// (B−1)/B.
	BaselineBatchMean
	// BaselineValue is a linear value function of the level, b = w·φ,
	// with φ = (1, d/L, (d/L)²) where d is the shortest-path distance
	// from the start to the exit and L the step limit. w starts at zero
	// and is refitted after each update by least squares on the episodes
	// of all updates so far, each update's weight shrinking by a factor
	// 1−α per later update (recursive least squares with forgetting, α
	// REINFORCE.BaselineRate, with a ridge of 1e-6 on the normal
	// equations); so the w used for a batch never saw it. It fits
	// whatever the returns are: under world.Binary the rate of reaching
	// the exit, under world.Sooner, where a shortest path scores
	// 1 − 0.9·d/L exactly, also how much sooner the agent gets out. (A
	// single least-mean-squares step per update, w ← w + α·(1/B)Σᵢ(Rᵢ −
	// w·φᵢ)φᵢ, fitted the level of a binary return but took hundreds of
	// updates to find the slope of the sooner one: d/L varies little
	// between training levels, and its feature is nearly collinear with
	// the others.)
	BaselineValue
	// BaselineNone subtracts nothing.
	BaselineNone
)

var baselineNames = [...]string{"running_mean", "batch_mean", "value", "none"}

func (b Baseline) String() string {
	if b >= 0 && int(b) < len(baselineNames) {
		return baselineNames[b]
	}
	return fmt.Sprintf("Baseline(%d)", int(b))
}

// ParseBaseline returns the baseline named s, as printed by String.
func ParseBaseline(s string) (Baseline, error) {
	for i, n := range baselineNames {
		if n == s {
			return Baseline(i), nil
		}
	}
	return 0, fmt.Errorf("unknown baseline %q (one of %v)", s, baselineNames[:])
}

// REINFORCE is the policy-gradient base optimizer. Its zero value works:
// minibatches of DefaultBatchSize episodes on fresh levels, Adam with the
// learning rate DefaultLearningRateFor the problem's family, a running-mean
// baseline, no entropy
// bonus, and gradients clipped to global norm DefaultClipNorm. A REINFORCE
// is only read by Train, so one value may run many trainings concurrently.
type REINFORCE struct {
	// BatchSize is the number of episodes per update; 0 means
	// DefaultBatchSize.
	BatchSize int
	// Optimizer steps θ. Train uses a Clone, so the value here keeps no
	// state. nil means &Adam{LearningRate: DefaultLearningRateFor(the
	// problem's family name)}.
	Optimizer Optimizer
	// Baseline is subtracted from returns; the zero value is
	// BaselineRunningMean.
	Baseline Baseline
	// BaselineRate is α of the running mean or the value function's step
	// size, in (0, 1]; 0 means DefaultBaselineRate.
	BaselineRate float64
	// EntropyBonus c ≥ 0 weights the gradient of the mean per-step policy
	// entropy; 0 means no bonus (and saves the extra gradient calls).
	EntropyBonus float64
	// ClipNorm bounds the global L2 norm of the gradient before the
	// optimizer step; 0 means DefaultClipNorm, a negative value disables
	// clipping.
	ClipNorm float64
	// LevelPool, if positive, draws that many training levels once,
	// train.Levels(…, "sgd-level", 0, LevelPool), and cycles through them:
	// episode i of update u plays level (u·B + i) mod LevelPool. 0 means
	// fresh levels every update: train.Levels(…, "sgd-level", u, B), so
	// episode i of update u plays level (u, i).
	LevelPool int
}

var _ train.Method = (*REINFORCE)(nil)

// Name returns "sgd".
func (m *REINFORCE) Name() string { return "sgd" }

// Validate reports the first unusable setting, naming it. An Optimizer
// with a Validate() error method is validated too.
func (m *REINFORCE) Validate() error {
	switch {
	case m.BatchSize < 0:
		return fmt.Errorf("sgd: batch size %d is negative", m.BatchSize)
	case m.Baseline < 0 || int(m.Baseline) >= len(baselineNames):
		return fmt.Errorf("sgd: unknown baseline %d", int(m.Baseline))
	case !(m.BaselineRate >= 0 && m.BaselineRate <= 1):
		return fmt.Errorf("sgd: baseline rate %v out of range [0, 1]", m.BaselineRate)
	case !(m.EntropyBonus >= 0) || math.IsInf(m.EntropyBonus, 0):
		return fmt.Errorf("sgd: entropy bonus %v must be finite and >= 0", m.EntropyBonus)
	case math.IsNaN(m.ClipNorm):
		return errors.New("sgd: clip norm is NaN")
	case m.LevelPool < 0:
		return fmt.Errorf("sgd: level pool %d is negative", m.LevelPool)
	}
	if v, ok := m.Optimizer.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("sgd: optimizer: %w", err)
		}
	}
	return nil
}

// Train runs REINFORCE on p from p.Seed until a budget of s is spent, the
// target return is reached, ctx is canceled, or training diverges. A step
// or episode budget stops it at the episode at which it is spent, even in
// the middle of a batch, which is then not used. It returns one agent, Role
// train.RoleFinal: θ after the last complete update, or the last
// finite θ if a NaN or Inf appeared in θ, the gradient, the returns, the
// entropy or the optimizer state (Status train.Diverged; the diverged
// update is still recorded, with the finite θ as Params). A non-finite
// initial θ (p.Init or Family.Init) stops training at once with Diverged,
// nothing recorded and no agent. s may be nil.
//
// Each update is recorded with Method "sgd"; Min, Mean, Max and Std of
// the batch's returns; Best, the best batch mean so far; GradNorm, the
// norm of the gradient before clipping (entropy term included); Entropy,
// the mean policy entropy per step of the batch, in nats; StepSize, the
// optimizer's learning rate; Params, θ after the update (aliased, see
// train.Recorder). The final agent's Fitness is the last batch mean.
func (m *REINFORCE) Train(ctx context.Context, p *train.Problem, s *train.Settings) (*train.Result, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errors.New("sgd: nil problem")
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("sgd: %w", err)
	}
	gen, err := world.NewGenerator(p.Train)
	if err != nil {
		return nil, fmt.Errorf("sgd: problem: train: %w", err)
	}
	if s == nil {
		s = &train.Settings{}
	}
	r := newRun(m, p.Family, p.Seed, s.Workers, p.Init)
	r.rule = p.BaseReturn
	src, err := m.source(p, gen, r.batch)
	if err != nil {
		return nil, err
	}
	return r.train(ctx, s, src)
}

// source returns the level source of the updates: the problem's
// curriculum, or the level pool (LevelPool), which combines with no
// curriculum but Random.
func (m *REINFORCE) source(p *train.Problem, gen *world.Generator, batch int) (train.LevelSource, error) {
	if m.LevelPool == 0 {
		src, err := p.Source(gen, "sgd-level")
		if err != nil {
			return nil, fmt.Errorf("sgd: %w", err)
		}
		return src, nil
	}
	if c := p.Curriculum; c != nil && c.Name() != (train.Random{}).Name() {
		return nil, fmt.Errorf("sgd: level pool %d: a fixed pool of levels does not combine with curriculum %s", m.LevelPool, c.Name())
	}
	return &poolSource{pool: train.Levels(gen, p.Seed, "sgd-level", 0, m.LevelPool), batch: batch,
		oracle: train.Oracle{Rule: p.BaseReturn}}, nil
}

// poolSource is the level source of LevelPool: episode i of update u
// plays level (u·B + i) mod LevelPool.
type poolSource struct {
	pool   []*world.Level
	batch  int
	buf    []*world.Level
	stats  []train.LevelStat
	oracle train.Oracle
}

func (s *poolSource) Levels(update, n int) []*world.Level {
	s.buf = s.buf[:0]
	for i := range n {
		s.buf = append(s.buf, s.pool[(update*s.batch+i)%len(s.pool)])
	}
	return s.buf
}

func (s *poolSource) Update(_ int, returns []float64) []train.LevelStat {
	s.stats = s.stats[:0]
	for k, l := range s.buf {
		st := train.LevelStat{Level: l, Origin: train.Replayed, Return: returns[k], Oracle: s.oracle.Return(l), Buffer: len(s.pool)}
		st.Regret = st.Oracle - st.Return
		s.stats = append(s.stats, st)
	}
	return s.stats
}

// numFeatures is the length of the value baseline's feature vector.
const numFeatures = 3

// A run is the state of one training.
type run struct {
	fam      agents.Family
	root     uint64
	batch    int
	baseline Baseline
	rate     float64 // baseline rate
	entropy  float64 // entropy bonus
	clip     float64 // <= 0: no clipping
	opt      Optimizer
	rule     world.BaseReturn
	rollouts seeds.Streams // seeds.Of(root, "sgd-rollout")

	theta, prev, grad []float64
	workers           []worker
	eps               []episode
	base              []float64 // per-episode baselines of the current update
	rets              []float64 // per-episode returns of the current update

	// Baseline state: running mean and its update count, value weights
	// and the discounted normal equations they solve (gram w = moment).
	mean    float64
	updates int
	w       [numFeatures]float64
	gram    [numFeatures][numFeatures]float64
	moment  [numFeatures]float64
}

// A worker is one goroutine's scratch state.
type worker struct {
	pol         agents.Differentiable
	ep          world.Episode
	probs       agents.Probs
	pcg         rand.PCG
	rng         *rand.Rand // draws from pcg
	dist, queue []int32
}

// An episode holds what one rollout of the current update produced.
type episode struct {
	ret     float64
	steps   int
	entropy float64   // Σₜ H(π(·|sₜ)); NaN if a probability was not a number in [0, 1]
	grad    []float64 // Σₜ ∇log π(aₜ|sₜ)
	entGrad []float64 // Σₜ ∇H(π(·|sₜ)); nil without an entropy bonus
	phi     [numFeatures]float64
}

// newRun resolves the defaults of m and initialises θ from init or, if nil,
// from fam.Init.
func newRun(m *REINFORCE, fam agents.Family, root uint64, workers int, init []float64) *run {
	r := &run{fam: fam, root: root, rollouts: seeds.Of(root, "sgd-rollout"), batch: m.BatchSize, baseline: m.Baseline,
		rate: orDefault(m.BaselineRate, DefaultBaselineRate), entropy: m.EntropyBonus, clip: orDefault(m.ClipNorm, DefaultClipNorm)}
	if r.batch == 0 {
		r.batch = DefaultBatchSize
	}
	if m.Optimizer == nil {
		r.opt = &Adam{LearningRate: DefaultLearningRateFor(fam.Name())}
	} else {
		r.opt = m.Optimizer.Clone()
	}
	dim := fam.Dim()
	r.theta, r.prev, r.grad = make([]float64, dim), make([]float64, dim), make([]float64, dim)
	if init != nil {
		copy(r.theta, init)
	} else {
		fam.Init(r.theta, seeds.New(root, "sgd-init"))
	}
	r.workers = make([]worker, min(train.Workers(workers), r.batch))
	for i := range r.workers {
		wk := &r.workers[i]
		wk.pol = fam.Policy(r.theta)
		wk.rng = rand.New(&wk.pcg)
	}
	r.eps = make([]episode, r.batch)
	for i := range r.eps {
		r.eps[i].grad = make([]float64, dim)
		if r.entropy != 0 {
			r.eps[i].entGrad = make([]float64, dim)
		}
	}
	r.base, r.rets = make([]float64, r.batch), make([]float64, r.batch)
	return r
}

// train runs updates until a stopping condition holds.
func (r *run) train(ctx context.Context, s *train.Settings, src train.LevelSource) (*train.Result, error) {
	meter := train.NewMeter(s)
	st := train.Stats{Method: "sgd"}
	if !train.Finite(r.theta) {
		// A non-finite initial θ has no finite θ to fall back on.
		return &train.Result{Status: train.Diverged, Last: st}, nil
	}
	status := train.NotTerminated
	for status == train.NotTerminated {
		update := meter.Iteration
		if err := r.rollout(ctx, len(r.workers), update, src.Levels(update, r.batch)); err != nil {
			if ctx.Err() == nil {
				return nil, err
			}
			status = train.Canceled
			break
		}
		if !r.charge(meter) {
			// The budget is spent in the middle of the batch: θ stays.
			status = meter.Exhausted()
			break
		}
		diverged := r.update(&st)
		st.Levels = nil
		if train.Finite(r.rets) {
			// The level source scores each level by the return of the
			// episode played on it.
			st.Levels = src.Update(update, r.rets)
		}
		meter.Iteration++
		if meter.Iteration == 1 || st.Mean > st.Best {
			st.Best = st.Mean
		}
		st.Params = r.theta
		if err := meter.Record(&st); err != nil {
			return nil, err
		}
		if diverged {
			status = train.Diverged
		} else {
			status = meter.Status(ctx, st.Mean)
		}
	}
	st.Params, st.Levels = nil, nil
	return &train.Result{
		Status:   status,
		Agents:   []train.Agent{{Role: train.RoleFinal, Params: append([]float64(nil), r.theta...), Fitness: st.Mean}},
		Last:     st,
		EnvSteps: meter.EnvSteps,
		Episodes: meter.Episodes,
	}, nil
}

// rollout plays episode i of the update on levels[i] with the current θ,
// for every i, on the given number of workers (at most len(r.workers)).
func (r *run) rollout(ctx context.Context, workers, update int, levels []*world.Level) error {
	return train.Parallel(ctx, workers, len(levels), func(w, i int) error {
		r.play(&r.workers[w], &r.eps[i], levels[i], update, i)
		return nil
	})
}

// play rolls out one episode: Probs → sample → accumulate ∇log π → Step.
func (r *run) play(wk *worker, ep *episode, l *world.Level, update, i int) {
	wk.pcg = r.rollouts.PCG(uint64(update), uint64(i))
	clear(ep.grad)
	clear(ep.entGrad)
	e := &wk.ep
	e.SetBaseReturn(r.rule)
	e.Reset(l)
	wk.pol.Reset(e)
	h := 0.0
	entropic, _ := wk.pol.(agents.Entropic)
	var terms agents.Probs
	for !e.Done() {
		wk.pol.Probs(&wk.probs, e)
		a := agents.Sample(&wk.probs, wk.rng)
		wk.pol.GradLogProb(ep.grad, a, 1)
		if entropic != nil {
			entropic.EntropyTerms(&terms) // −q·log q, as below, computed once per state
		}
		for b, q := range wk.probs {
			if !(q >= 0 && q <= 1) {
				h = math.NaN()
				continue
			}
			if q == 0 {
				continue // 0·log 0 = 0, and ∇log π is undefined
			}
			hb := terms[b]
			if entropic == nil {
				hb = -q * math.Log(q)
			}
			h += hb
			if ep.entGrad != nil && hb != 0 {
				wk.pol.GradLogProb(ep.entGrad, world.Action(b), hb)
			}
		}
		e.Step(a)
	}
	ep.ret, ep.steps, ep.entropy = e.Return(), e.Steps(), h
	if r.baseline == BaselineValue {
		ep.phi = wk.features(l)
	}
}

// features returns the value baseline's features of l.
func (wk *worker) features(l *world.Level) [numFeatures]float64 {
	n := l.Width * l.Height
	if cap(wk.dist) < n {
		wk.dist, wk.queue = make([]int32, n), make([]int32, n)
	}
	d := l.Distances(wk.dist[:n], wk.queue[:n], l.Index(l.Start))[l.Index(l.Exit.Pos)]
	x := 1.0 // unreachable exit: as far as the step limit
	if d >= 0 {
		x = min(float64(d)/float64(l.StepLimit), 1)
	}
	return [numFeatures]float64{1, x, x * x}
}

// charge charges the episodes of the current batch to meter in episode
// order and reports whether all of them fitted in the budget.
func (r *run) charge(meter *train.Meter) bool {
	for i := range r.eps {
		if !meter.Charge(r.eps[i].steps) {
			return false
		}
	}
	return true
}

// steps returns the environment steps of the current batch.
func (r *run) steps() int {
	n := 0
	for i := range r.eps {
		n += r.eps[i].steps
	}
	return n
}

// gradient sets r.base and r.grad from the current batch, without
// clipping, and returns the mean per-step entropy.
func (r *run) gradient() (entropy float64) {
	b := float64(len(r.eps))
	sum, h := 0.0, 0.0
	for i := range r.eps {
		sum += r.eps[i].ret
		h += r.eps[i].entropy
	}
	for i := range r.eps {
		ep := &r.eps[i]
		switch r.baseline {
		case BaselineRunningMean:
			r.base[i] = 0
			if r.updates > 0 {
				r.base[i] = r.mean / (1 - math.Pow(1-r.rate, float64(r.updates)))
			}
		case BaselineBatchMean:
			r.base[i] = 0
			if len(r.eps) > 1 {
				r.base[i] = (sum - ep.ret) / (b - 1)
			}
		case BaselineValue:
			r.base[i] = floats.Dot(r.w[:], ep.phi[:])
		case BaselineNone:
			r.base[i] = 0
		}
	}
	clear(r.grad)
	for i := range r.eps {
		floats.AddScaled(r.grad, (r.eps[i].ret-r.base[i])/b, r.eps[i].grad)
	}
	steps := float64(r.steps())
	if r.entropy != 0 {
		for i := range r.eps {
			floats.AddScaled(r.grad, r.entropy/steps, r.eps[i].entGrad)
		}
	}
	return h / steps
}

// learnBaseline updates the baseline state with the current batch; call it
// after gradient.
func (r *run) learnBaseline() {
	b := float64(len(r.eps))
	switch r.baseline {
	case BaselineRunningMean:
		mean := 0.0
		for i := range r.eps {
			mean += r.eps[i].ret
		}
		r.mean = (1-r.rate)*r.mean + r.rate*mean/b
		r.updates++
	case BaselineValue:
		for j := range numFeatures {
			r.moment[j] *= 1 - r.rate
			for k := range numFeatures {
				r.gram[j][k] *= 1 - r.rate
			}
		}
		for i := range r.eps {
			phi := &r.eps[i].phi
			for j := range numFeatures {
				r.moment[j] += r.eps[i].ret * phi[j] / b
				for k := range numFeatures {
					r.gram[j][k] += phi[j] * phi[k] / b
				}
			}
		}
		r.w = solveRidge(r.gram, r.moment, valueRidge)
	}
}

// valueRidge is the ridge added to the value baseline's normal equations:
// it only matters while the levels seen so far leave them singular.
const valueRidge = 1e-6

// solveRidge returns the solution w of (a + ridge·I)·w = m, a symmetric
// positive semi-definite, by Gaussian elimination with partial pivoting.
// Non-finite inputs give non-finite w, which update reports as divergence.
func solveRidge(a [numFeatures][numFeatures]float64, m [numFeatures]float64, ridge float64) [numFeatures]float64 {
	for j := range numFeatures {
		a[j][j] += ridge
	}
	for c := range numFeatures {
		p := c
		for r := c + 1; r < numFeatures; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		m[c], m[p] = m[p], m[c]
		for r := c + 1; r < numFeatures; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k < numFeatures; k++ {
				a[r][k] -= f * a[c][k]
			}
			m[r] -= f * m[c]
		}
	}
	var w [numFeatures]float64
	for c := numFeatures - 1; c >= 0; c-- {
		s := m[c]
		for k := c + 1; k < numFeatures; k++ {
			s -= a[c][k] * w[k]
		}
		w[c] = s / a[c][c]
	}
	return w
}

// update turns the current batch into statistics and an optimizer step. It
// reports divergence, in which case θ is left at its last finite value.
func (r *run) update(st *train.Stats) (diverged bool) {
	rets := r.rets
	for i := range r.eps {
		rets[i] = r.eps[i].ret
	}
	st.Min, st.Mean, st.Max, st.Std = train.Describe(rets)
	st.Entropy = r.gradient()
	st.GradNorm = floats.Norm(r.grad, 2)
	st.StepSize = r.opt.Rate()
	r.learnBaseline()
	if !train.Finite(rets) || !train.Finite(r.grad) || math.IsNaN(st.Entropy) || math.IsInf(st.GradNorm, 0) {
		return true
	}
	if r.clip > 0 && st.GradNorm > r.clip {
		floats.Scale(r.clip/st.GradNorm, r.grad)
	}
	copy(r.prev, r.theta)
	r.opt.Step(r.theta, r.grad)
	if !train.Finite(r.theta) || !r.opt.Finite() || !train.Finite(r.w[:]) || math.IsNaN(r.mean) {
		copy(r.theta, r.prev)
		return true
	}
	return false
}
