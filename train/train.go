// Package train is the contract every base optimizer keeps, in the spirit of
// gonum/optimize: a Problem (policy family, training distribution, base
// objective), a Method, Settings whose zero value works, a Recorder that
// receives per-generation or per-update statistics, a Result, and a Status
// saying why training stopped.
//
// Budgets are counted in environment steps and episodes, identically for
// every method: evaluation rollouts used for selection, elite re-evaluation
// and gradient minibatches all count, each episode charged in a canonical
// order (Meter.Charge), and training stops at the episode at which the
// budget is spent, in the middle of an iteration if need be. Nothing is
// rolled out for a method after that: every method hands over the agent its
// last complete iteration left (Agent roles), with no post-hoc selection.
// That is what makes "GA versus SGD at equal budget" a fair comparison.
//
// The base objective is the base return of Problem.BaseReturn: by default
// world.Sooner, 1 − 0.9·t/T for reaching the exit on step t of a step limit
// T, else 0; world.Binary scores 1 for reaching it at any step.
package train

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/world"
)

// A Problem is what a base optimizer is asked to solve: find θ for Family
// that maximises the base objective, the mean base return (BaseReturn) on
// levels of Train.
type Problem struct {
	Family agents.Family
	Train  world.Distribution
	// BaseReturn scores every training episode: what the method
	// maximises. The zero value is world.Sooner (1 − 0.9·t/T at the exit,
	// else 0); world.Binary scores 1 at the exit at any step.
	BaseReturn world.BaseReturn
	// Seed is the root seed of this training run; every level, individual
	// and rollout stream is derived from it.
	Seed uint64
	// Init, if not nil, is the starting θ (or centre of the initial
	// population); otherwise Family.Init draws it. Not retained.
	Init []float64
	// Curriculum chooses the training levels of every iteration from
	// Train (see LevelSource); nil means Random, fresh levels every
	// iteration.
	Curriculum Curriculum
}

// Validate reports whether p can be solved.
func (p *Problem) Validate() error {
	if p.Family == nil {
		return errors.New("problem: no policy family")
	}
	if err := p.BaseReturn.Validate(); err != nil {
		return fmt.Errorf("problem: base return: %w", err)
	}
	if err := p.Train.Validate(); err != nil {
		return fmt.Errorf("problem: train: %w", err)
	}
	if v, ok := p.Family.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return fmt.Errorf("problem: family %s: %w", p.Family.Name(), err)
		}
	}
	if p.Init != nil && len(p.Init) != p.Family.Dim() {
		return fmt.Errorf("problem: init has %d parameters, family %s has %d", len(p.Init), p.Family.Name(), p.Family.Dim())
	}
	return nil
}

// Settings bound and observe a training run. The zero value works: it
// trains for DefaultEnvSteps environment steps on all CPUs, recording
// nothing.
type Settings struct {
	// EnvSteps is the budget in environment steps; 0 means
	// DefaultEnvSteps. A method stops at the episode at which the budget
	// is spent (see Meter.Charge), so it overshoots by less than one
	// episode; an iteration cut short leaves no trace but its cost.
	EnvSteps int
	// Episodes is a budget in episodes, kept exactly like EnvSteps; 0
	// means no limit.
	Episodes int
	// Iterations limits generations (GA, ES) or updates (SGD); 0 means no
	// limit.
	Iterations int
	// TargetReturn stops training once the mean training return of an
	// iteration reaches it; 0 means no target.
	TargetReturn float64
	// Workers is the number of goroutines that roll out episodes; 0 means
	// runtime.GOMAXPROCS(0). Results do not depend on it.
	Workers int
	// Recorder, if not nil, receives the statistics of every iteration.
	Recorder Recorder
}

// DefaultEnvSteps is the step budget of zero Settings.
const DefaultEnvSteps = 2_000_000

// A Recorder receives training statistics as they happen. Record must not
// retain s.Params beyond the call. An error from Record stops training
// with that error.
type Recorder interface {
	Record(s *Stats) error
}

// Stats describe one generation (GA, ES) or one update (SGD).
type Stats struct {
	Method    string // "ga", "es", "sgd"
	Iteration int    // 1-based generation or update
	// Population is the index of the sub-population for multi-population
	// GAs, otherwise 0.
	Population int
	// EnvSteps and Episodes count everything spent so far, this iteration
	// included.
	EnvSteps int
	Episodes int
	// Fitness of the iteration's individuals (GA, ES) or return of its
	// episodes (SGD): min, mean, max and standard deviation.
	Min, Mean, Max, Std float64
	// Best is the best fitness (GA, ES) or batch mean (SGD) seen so far.
	Best float64
	// GradNorm, Entropy and StepSize are set by gradient methods (the
	// norm before clipping, the mean policy entropy in nats, the step
	// size used), otherwise 0.
	GradNorm, Entropy, StepSize float64
	Elapsed                     time.Duration
	// Params is the current θ (SGD, ES centre) or the best member of the
	// generation (GA).
	// It aliases the method's state: read it during Record only.
	Params []float64
	// Levels are the iteration's training levels as the level source
	// scored them (see LevelSource.Update), the same on every
	// population's Stats of a generation. It aliases the source's state:
	// read it during Record only.
	Levels []LevelStat
}

// Status says why training stopped.
type Status int

const (
	NotTerminated  Status = iota
	StepBudget            // Settings.EnvSteps spent
	EpisodeBudget         // Settings.Episodes spent
	IterationLimit        // Settings.Iterations reached
	TargetReached         // Settings.TargetReturn reached
	Diverged              // a NaN or Inf appeared in θ, a gradient or a statistic
	Canceled              // the context was canceled
)

var statusNames = [...]string{"not_terminated", "step_budget", "episode_budget", "iteration_limit", "target_reached", "diverged", "canceled"}

func (s Status) String() string {
	if int(s) < len(statusNames) && s >= 0 {
		return statusNames[s]
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Roles of the agents in a Result.
const (
	// RoleFinal is the one agent a method hands over for evaluation: the
	// SGD θ after its last complete update, the ES centre after its last
	// complete generation, the best member of a GA's last complete
	// generation by that generation's fitness. No method selects it with
	// rollouts of its own after training.
	RoleFinal = "final"
	// RolePopulation is a member of a GA's last complete generation.
	RolePopulation = "population"
)

// An Agent is one trained parameter vector.
type Agent struct {
	// Role says where the agent comes from: RoleFinal or RolePopulation.
	Role string
	// Index orders agents of the same role (population member; 0 for the
	// final agent).
	Index   int
	Params  []float64
	Fitness float64 // last training fitness or return estimate
}

// A Result is what a training run produced.
type Result struct {
	Status Status
	// Agents holds exactly one agent with Role RoleFinal (a method that
	// stopped before completing an iteration may return none), and for
	// the GA its last complete generation (RolePopulation).
	Agents []Agent
	// Last holds the statistics of the last complete iteration (Params
	// nil).
	Last Stats
	// EnvSteps and Episodes are everything spent, including the episodes
	// of an iteration cut short by the budget: at least Last's.
	EnvSteps int
	Episodes int
}

// Final returns the agent with Role RoleFinal, if any.
func (r *Result) Final() (Agent, bool) {
	for _, a := range r.Agents {
		if a.Role == RoleFinal {
			return a, true
		}
	}
	return Agent{}, false
}

// A Method is a base optimizer. Implementations: evolve.GA, evolve.ES,
// sgd.REINFORCE. Train runs one training from p.Seed; it returns an error
// only for invalid input or a failed Recorder, and reports divergence and
// cancellation through Result.Status.
type Method interface {
	Name() string
	Train(ctx context.Context, p *Problem, s *Settings) (*Result, error)
}
