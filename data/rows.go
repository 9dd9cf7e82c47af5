package data

import (
	"fmt"
	"math"
	"time"

	"mesa/agents"
	"mesa/train"
	"mesa/world"
)

// Rows are the typed API of the tables: one struct per table, one field per
// column. Categorical fields hold the vocabulary's string. For nullable
// columns the zero value of the field is written as null and null is read
// back as the zero value, except where a field's comment says otherwise.
//
// RunID is filled in by readers; writers ignore it and write the run's
// RunInfo.RunID, so a file always belongs to exactly one run.

// An EpisodeRow describes one evaluation episode: who played (optimizer,
// family, agent), on what (split, distribution, level and its layout, the
// candidate a probe level probes), how it went (steps, return, first object
// entered, end cell, the targets reached in order) and how the analysis
// classified it (outcome, proxy, probe_first).
type EpisodeRow struct {
	RunID     string
	Optimizer string // ga, es, sgd, none
	Family    string
	AgentID   string
	AgentSeed uint64 // the training seed; 0 for scripted agents
	Split     string // train, deploy, probe, adversarial
	LevelSeed uint64
	Width     int
	Height    int
	Steps     int
	// BaseReturn is the base objective's return under the run's
	// base_return rule (the resolved config's base_return): with "sooner",
	// the default, 1 − 0.9·Steps/StepLimit if the exit was reached; with
	// "binary", 1 if it was; 0 if not. ReachedExit says whether it was.
	BaseReturn  float64
	ReachedExit bool
	// FirstTarget is the first object entered, "exit" or "apple:<colour>";
	// "" (null) if none.
	FirstTarget string
	// Outcome is what the agent competently went for, in order (see
	// Targets): goal (straight to the exit), proxy_then_goal (a detour to
	// a proxy's target, then the exit), proxy (a proxy's target, never the
	// exit) or capability_failure (nothing competent, even if it bumped
	// into the exit); "" (null) if the episode has not been classified.
	Outcome string
	// Proxy is the proxy whose target was the first pursued when Outcome
	// is proxy or proxy_then_goal: "colour:green", "region:bottom-right"
	// or "kind:apple"; "" (null) otherwise.
	Proxy       string
	ApplesEaten int

	// Episode numbers the agent's episodes within a split, from 0.
	Episode int
	// Distribution is the name of the level distribution; "" (null) if
	// unnamed.
	Distribution string
	// Greedy reports argmax actions rather than sampled ones.
	Greedy bool
	// FirstStep is the step (1-based) on which FirstTarget was entered; 0
	// (null) if nothing was.
	FirstStep int
	StepLimit int
	// ExitColour is the exit's colour, e.g. "green".
	ExitColour string
	ExitX      int
	ExitY      int
	StartX     int
	StartY     int
	// EndX, EndY is the agent's cell when the episode ended.
	EndX int
	EndY int
	// Apples is the number of apples in the level.
	Apples int
	// Randomized reports that the level's exit colour and position were
	// drawn independently of the distribution's rules.
	Randomized bool
	// Cue is the level's training cue.
	Cue bool
	// ShortestPath is the length in moves of the shortest path from the
	// start to the exit; 0 (null) if unknown.
	ShortestPath int
	// CellsVisited counts the distinct cells the agent was in, the start
	// included.
	CellsVisited int

	// Targets are the targets the episode reached, in the order reached,
	// from which Outcome is decided; nil (null) if the episode has not
	// been classified, empty if it reached none. Writing does not retain
	// it; reading allocates it.
	Targets []TargetVisit
	// Probe is the candidate objective a probe level was built to probe,
	// e.g. "colour:green" or "kind:apple"; "" (null) for episodes on other
	// levels.
	Probe string
	// ProbeFirst is what an episode on a probe level reached first: exit,
	// target (the probed candidate's), control or none. It is set exactly
	// when Probe is: "" (null) for episodes on other levels.
	ProbeFirst string
}

// A TargetVisit is one target an episode reached: an element of the
// episodes table's targets column, list<struct<target utf8, step int32,
// pursued bool>>.
type TargetVisit struct {
	// Target is what was reached: "exit", "apple:<colour>" or
	// "region:<corner>" (entering a candidate corner region and staying).
	Target string
	// Step is the step (from 1) on which it was reached.
	Step int
	// Pursued reports that the path went to it (competently from the last
	// pursued target or the start, and not on the way to a later target)
	// rather than past it.
	Pursued bool
}

// SetLevel fills the level columns of r from l: level seed, size, step
// limit, start, exit, apples, randomized, cue and shortest path.
func (r *EpisodeRow) SetLevel(l *world.Level) {
	r.LevelSeed, r.Width, r.Height, r.StepLimit = l.Seed, l.Width, l.Height, l.StepLimit
	r.StartX, r.StartY = l.Start.X, l.Start.Y
	r.ExitX, r.ExitY, r.ExitColour = l.Exit.Pos.X, l.Exit.Pos.Y, l.Exit.Colour.String()
	r.Apples, r.Randomized, r.Cue = len(l.Apples), l.Randomized, l.Cue
	d := l.Distances(make([]int32, len(l.Walls)), nil, l.Index(l.Start))
	r.ShortestPath = max(int(d[l.Index(l.Exit.Pos)]), 0)
}

// SetEpisode fills the level and behaviour columns of r from a finished
// episode and its summary, as left by agents.Runner.Run (e is the runner's
// Episode()). It leaves the identity columns, Episode and the analysis's
// columns (Outcome, Proxy, Targets, Probe, ProbeFirst) alone.
func (r *EpisodeRow) SetEpisode(e *world.Episode, s agents.Summary) {
	l := e.Level()
	r.SetLevel(l)
	r.Steps, r.BaseReturn, r.ReachedExit, r.ApplesEaten, r.Greedy = s.Steps, s.Return, s.ReachedExit, s.ApplesEaten, s.Greedy
	r.FirstTarget, r.FirstStep = "", 0
	if s.HasFirst {
		r.FirstTarget, r.FirstStep = ObjectName(s.First), s.FirstStep
	}
	p := e.Pos()
	r.EndX, r.EndY = p.X, p.Y
	r.CellsVisited = 0
	for i := range l.Walls {
		if e.Visits(i) > 0 {
			r.CellsVisited++
		}
	}
}

// A TrainingRow describes one generation (GA, ES) or update (SGD) of one
// training run; it mirrors train.Stats.
type TrainingRow struct {
	RunID     string
	Optimizer string
	Family    string
	AgentSeed uint64 // the training run's seed (train.Problem.Seed)
	// Population is the sub-population of multi-population GAs, else 0.
	Population int
	Iteration  int // 1-based
	// EnvSteps and Episodes are cumulative, this iteration included.
	EnvSteps int
	Episodes int
	// Fitness of the iteration's individuals (GA, ES) or return of its
	// episodes (SGD).
	FitnessMin  float64
	FitnessMean float64
	FitnessMax  float64
	FitnessStd  float64
	Best        float64 // best fitness so far
	// GradNorm, Entropy and StepSize are 0 for methods that do not set
	// them (see train.Stats).
	GradNorm float64
	Entropy  float64
	StepSize float64
	// Elapsed is the wall time since training started; 0 (null) when
	// unknown or when the writer omits timing (Options.OmitTiming).
	Elapsed time.Duration
	// Distribution is the training distribution's name; "" (null) if
	// unnamed.
	Distribution string
	// ParamNorm is the L2 norm of θ (SGD θ, ES centre, GA best).
	ParamNorm float64
}

// An AgentRow describes one trained (or scripted) agent: its parameters,
// its readable mesa objective and how its training ended.
type AgentRow struct {
	RunID     string
	Optimizer string
	Family    string
	AgentID   string
	AgentSeed uint64
	Role      string // final, population, scripted (hall_of_fame in runs before the GA lost its hall)
	Index     int    // order within the role
	Fitness   float64
	// Params is θ. Writing does not retain it; reading allocates it (nil
	// for an empty list).
	Params []float64
	// ParamNames names each parameter (Family.ParamNames); nil (null) if
	// not given.
	ParamNames []string
	// Objective is the mesa-objective readout of families that have one
	// (agents.Objective); nil (null) for the others.
	Objective []agents.Weight
	// Status is why training stopped (train.Status.String()); "" (null)
	// for untrained agents.
	Status     string
	EnvSteps   int
	Episodes   int
	Iterations int
	// Distribution is the training distribution's name; "" (null) if none.
	Distribution string
}

// An AttributionRow is the evidence that one evaluated agent pursues one
// candidate objective: the rates of its probe episodes against the
// candidate's control, an inverse-planning fit, and for planners the
// readout of θ. A run writes one row per evaluated agent and candidate;
// join it to agents and to episodes on agent_id (and candidate to the
// episodes' probe column for the probe episodes behind the rates).
type AttributionRow struct {
	RunID     string
	Optimizer string // ga, es, sgd, none
	Family    string
	AgentID   string
	AgentSeed uint64 // the training seed; 0 for scripted agents
	// Candidate is the candidate objective: goal, colour:<c>,
	// region:<corner>, kind:apple, nearest-object or random.
	Candidate string
	// Role says why the candidate is on the list: goal, proxy (a feature
	// that coincided with the exit in training), kind (an object kind),
	// control (a colour or corner training never showed) or null (the
	// random walk).
	Role string
	// Control is the candidate that serves as this one's control on its
	// probes; "" (null) when the control is an empty cell (kind:apple,
	// nearest-object) or the candidate has no probes.
	Control string

	// Probes counts the agent's episodes on this candidate's probe levels
	// (0 for candidates without probes), and ExitFirst, TargetFirst and
	// ControlFirst how many reached the exit, the candidate's target and
	// the control first.
	Probes, ExitFirst, TargetFirst, ControlFirst int
	// TargetRate is TargetFirst/Probes with its 95% Wilson interval
	// [TargetLo, TargetHi]; ControlRate likewise for ControlFirst. All are
	// 0 when Probes is 0.
	TargetRate, TargetLo, TargetHi    float64
	ControlRate, ControlLo, ControlHi float64
	// PValue is the one-sided exact binomial (sign) test that the target
	// is reached first more often than the control; NaN (null) for
	// candidates without probes. NaN is written as null and null read back
	// as NaN.
	PValue float64
	// Pursued reports that PValue survives Holm's correction over the
	// agent's probed candidates: the agent goes for this candidate's
	// target more than for its control.
	Pursued bool

	// Beta is the fitted rationality of a Boltzmann pursuer of the
	// candidate (0 for random), LogLik the log-likelihood of the agent's
	// probe actions under it, LogEvidence that penalised by the Bayesian
	// information criterion, and Posterior the candidate's posterior
	// probability under a uniform prior over the agent's candidates.
	Beta, LogLik, LogEvidence, Posterior float64
	// Attributed marks the candidate with the highest posterior: the
	// objective that best explains the agent's behaviour (one per agent).
	Attributed bool
	// Readout is a planner's mesa-objective weight on the candidate's
	// defining feature (from agents' mesa_objective); NaN (null) for
	// families without a readout and candidates without such a feature.
	// NaN is written as null and null read back as NaN.
	Readout float64
	// ProbeSteps is the number of probe steps the inverse planning used
	// (the same for every candidate of an agent).
	ProbeSteps int
}

// A StepRow is one action of one episode. Join it to its episode on
// (agent_id, split, episode).
type StepRow struct {
	RunID   string
	AgentID string
	Split   string
	Episode int
	// T is the step number, from 1: row T is the T-th action, and X, Y is
	// the cell the agent was in after it.
	T      int
	X, Y   int
	Action string // up, right, down, left
	// Object is what the step entered, "exit" or "apple:<colour>"; ""
	// (null) for nothing (or an apple already eaten).
	Object string
}

// A TrainingRun identifies one training run: the rows of its training
// table and its agents share these values.
type TrainingRun struct {
	Optimizer string
	Family    string
	// AgentSeed is the seed of the training run (train.Problem.Seed).
	AgentSeed uint64
	// Distribution is the training distribution's name, if any.
	Distribution string
}

// AgentID returns the conventional agent id of the agent with the given
// role and index from this run: "sgd/planner/42/final/0".
func (k TrainingRun) AgentID(role string, index int) string {
	return fmt.Sprintf("%s/%s/%d/%s/%d", k.Optimizer, k.Family, k.AgentSeed, role, index)
}

// Row converts s into a training row of this run. It reads s.Params during
// the call only.
func (k TrainingRun) Row(s *train.Stats) TrainingRow {
	return TrainingRow{
		Optimizer: k.Optimizer, Family: k.Family, AgentSeed: k.AgentSeed, Distribution: k.Distribution,
		Population: s.Population, Iteration: s.Iteration, EnvSteps: s.EnvSteps, Episodes: s.Episodes,
		FitnessMin: s.Min, FitnessMean: s.Mean, FitnessMax: s.Max, FitnessStd: s.Std, Best: s.Best,
		GradNorm: s.GradNorm, Entropy: s.Entropy, StepSize: s.StepSize, Elapsed: s.Elapsed,
		ParamNorm: norm(s.Params),
	}
}

func norm(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x * x
	}
	return math.Sqrt(s)
}

// AgentRows converts the agents of a training result into rows, with ids
// from k.AgentID, parameter names from fam and, if fam is an
// agents.Objective, the mesa-objective readout. The rows alias the
// result's parameter slices.
func (k TrainingRun) AgentRows(res *train.Result, fam agents.Family) []AgentRow {
	var names []string
	if fam != nil {
		names = fam.ParamNames()
	}
	obj, _ := fam.(agents.Objective)
	rows := make([]AgentRow, len(res.Agents))
	for i, a := range res.Agents {
		r := AgentRow{
			Optimizer: k.Optimizer, Family: k.Family, AgentID: k.AgentID(a.Role, a.Index), AgentSeed: k.AgentSeed,
			Role: a.Role, Index: a.Index, Fitness: a.Fitness, Params: a.Params, ParamNames: names,
			Status: res.Status.String(), EnvSteps: res.EnvSteps, Episodes: res.Episodes,
			Iterations: res.Last.Iteration, Distribution: k.Distribution,
		}
		if obj != nil {
			r.Objective = obj.Readout(a.Params)
		}
		rows[i] = r
	}
	return rows
}

// A TrainingLog is a train.Recorder that keeps the rows of one training run
// in memory. Runs trained concurrently each record into their own log, and
// the caller appends the logs to the Writer in a fixed order
// (Writer.AppendTraining), which keeps the training table byte-identical
// whatever the number of workers. It is not safe for concurrent use.
type TrainingLog struct {
	Run  TrainingRun
	Rows []TrainingRow
}

var _ train.Recorder = (*TrainingLog)(nil)

// Record appends the row of s. It does not retain s.Params.
func (g *TrainingLog) Record(s *train.Stats) error {
	if err := g.Run.check(s); err != nil {
		return err
	}
	g.Rows = append(g.Rows, g.Run.Row(s))
	return nil
}

func (k TrainingRun) check(s *train.Stats) error {
	if s.Method != "" && k.Optimizer != s.Method {
		return fmt.Errorf("data: training stats of method %q recorded for optimizer %q", s.Method, k.Optimizer)
	}
	return nil
}

// StepRows appends to dst the rows of a trajectory recorded by
// agents.Runner on level l.
func StepRows(dst []StepRow, agentID, split string, episode int, tr *agents.Trajectory, l *world.Level) []StepRow {
	for t, a := range tr.Actions {
		p := tr.Positions[t+1]
		r := StepRow{AgentID: agentID, Split: split, Episode: episode, T: t + 1, X: p.X, Y: p.Y, Action: a.String()}
		switch o := tr.Objects[t]; {
		case o == 0:
			r.Object = ObjectExit
		case o > 0 && int(o) <= len(l.Apples):
			r.Object = ObjectName(l.Apples[o-1])
		}
		dst = append(dst, r)
	}
	return dst
}
