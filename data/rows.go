package data

import "time"

// Rows are the typed API of the tables: one struct per table, one field per
// column. Categorical fields hold the vocabulary's string. For nullable
// columns the zero value of the field is written as null and null is read
// back as the zero value, except where a field's comment says otherwise.
//
// RunID is filled in by readers; writers ignore it and write the run's
// RunInfo.RunID, so a file always belongs to exactly one run. Point too is
// the writer's (Writer.SetPoint); a row's Point, if not 0, must match it.
// A sweep parameter's value is read from the manifest (Manifest.Point).

// An EpisodeRow describes one evaluation episode: who played (optimizer,
// family, agent), on what (split, distribution, level and its layout, the
// candidate a probe level probes), how it went (steps, return, first object
// entered, end cell, the targets reached in order) and how the analysis
// classified it (outcome, proxy, probe_first).
type EpisodeRow struct {
	RunID     string
	Optimizer string // ga, es, sgd, none
	Family    string
	AgentID   string // as AgentRow.AgentID: "sgd/planner/s0", "none/oracle"
	AgentSeed uint64 // the training seed; 0 for scripted agents
	// SeedIndex is the training seed's index among its optimizer ×
	// family's seeds, from 0 (0 for scripted agents); -1 when read from
	// files before schema version 6.
	SeedIndex int
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
	Proxy string
	// PursuedRole is the role of the target the agent pursued first:
	// goal (Outcome goal), proxy (a training proxy's, such as green: the
	// Proxy's role in the run's attribution table), control (a control's:
	// a colour or corner training never showed), kind (an apple whose
	// colour the path left unsettled, Proxy kind:apple) or none
	// (capability_failure); "" (null) when Outcome is. The share of proxy
	// minus the share of control is the headline's proxy − control.
	PursuedRole string
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

	// Point is the sweep point (see Writer.SetPoint).
	Point int
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

// A Weight is one element of the agents table's mesa_objective column,
// list<struct<feature utf8, weight float64>>: the weight a mesa objective
// puts on one cell feature (as agents.Weight, which package data does not
// import).
type Weight struct {
	Feature string
	Weight  float64
}

// A TrainingRow describes one generation (GA, ES) or update (SGD) of one
// training run; it mirrors train.Stats.
type TrainingRow struct {
	RunID     string
	Optimizer string
	Family    string
	AgentSeed uint64 // the training run's seed (train.Problem.Seed)
	// SeedIndex is the training seed's index (see EpisodeRow.SeedIndex).
	SeedIndex int
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
	// Monitored marks a checkpoint row: MonitorSuccess and MonitorReturn
	// are the share of held-out training levels on which the agent the
	// method would hand over now reached the exit, and its mean base
	// return there. The same levels at every checkpoint and for every
	// optimizer; the episodes are not charged to the budget and the
	// optimizer never sees them. Null when not Monitored.
	Monitored                     bool
	MonitorSuccess, MonitorReturn float64
	// Point is the sweep point (see Writer.SetPoint).
	Point int
}

// An AgentRow describes one trained (or scripted) agent: its parameters,
// its readable mesa objective and how its training ended.
type AgentRow struct {
	RunID     string
	Optimizer string
	Family    string
	// AgentID names the agent in every table, figure and command (mesa
	// render --agent): "<optimizer>/<family>/s<seed index>" for the agent
	// a training run hands over ("sgd/planner/s0"), that followed by
	// "/<role>/<index>" for the other agents it keeps ("ga/planner/s0/population/3"),
	// "none/<spec>" for a scripted reference ("none/oracle"). Unique
	// within a sweep point; the same agent at every point. Files before
	// schema version 6 have "<optimizer>/<family>/<agent seed>/<role>/<index>".
	AgentID   string
	AgentSeed uint64
	SeedIndex int    // the training seed's index (see EpisodeRow.SeedIndex)
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
	// (the planner's weights over cell features); nil (null) for the
	// others. Writing does not retain it; reading allocates it.
	Objective []Weight
	// Status is why training stopped (train.Status.String()); "" (null)
	// for untrained agents.
	Status     string
	EnvSteps   int
	Episodes   int
	Iterations int
	// Distribution is the training distribution's name; "" (null) if none.
	Distribution string
	// Point is the sweep point (see Writer.SetPoint).
	Point int
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
	SeedIndex int    // the training seed's index (see EpisodeRow.SeedIndex)
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

	// Verdict is the agent's verdict (the same on every candidate row of
	// an agent): the attributed candidate, "none" (it explains the moves
	// barely better than the random walk) or "unstable" (fewer than the
	// threshold share of bootstrap resamples of the probe episodes give
	// the same label); "" (null) in files before schema version 5.
	// Stability is the share of resamples that give the verdict's label
	// (per agent), Share the share that attribute this candidate, and Gain
	// the candidate's log-likelihood gain over the random walk in nats per
	// step it has a say in. NaN (null) in older files.
	Verdict                string
	Stability, Share, Gain float64
	// KStar is the candidate's indifference offset on the graded probes
	// (for each proxy with a control, and the control): how many steps
	// farther than the exit its target may be and still be reached first
	// half the time, fitted by maximum likelihood, with its interval
	// [KLo, KHi] (±Inf where it extends past the offsets probed).
	// KCensored is "below" or "above" when k* lies outside the offsets
	// probed (KStar is then the nearer end), "unmeasured" when no graded
	// episode was played, else "" (null). NaN (null) for candidates
	// without graded probes.
	KStar, KLo, KHi float64
	KCensored       string
	// Strength is a proxy's strength in steps, KStar minus its control's,
	// with the interval [StrengthLo, StrengthHi] from the two intervals
	// (lo − control's hi, hi − control's lo); NaN (null) on other rows.
	Strength, StrengthLo, StrengthHi float64
	// Graded is the candidate's graded-probe curve, one element per
	// offset; nil (null) for candidates without graded probes.
	Graded []GradedPoint
	// Point is the sweep point (see Writer.SetPoint).
	Point int
}

// A GradedPoint is one element of the attribution table's graded column,
// list<struct<offset int32, episodes int32, target_first int32,
// exit_first int32>>: the graded-probe episodes at one offset (the
// target's distance minus the exit's) and how many reached the target and
// the exit first.
type GradedPoint struct {
	Offset, Episodes, TargetFirst, ExitFirst int
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
	// Point is the sweep point (see Writer.SetPoint).
	Point int
}
