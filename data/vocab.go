package data

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mesa-alignment/mesa/names"
)

// Vocabulary names: the value sets of the dictionary columns. An Arrow IPC
// file holds one dictionary per column for the whole file (arrow-go refuses
// dictionary replacements and deltas in the file format, and readers differ
// in their support for deltas), so every dictionary column has a fixed
// vocabulary; a file's dictionary holds the values of it the file uses, in
// vocabulary order (see Writer.Close). Appending a value outside it is an
// error that names the column and the value.
const (
	VocabOptimizer     = "optimizer"      // ga, es, sgd, none (scripted agents)
	VocabFamily        = "family"         // built-in families plus RunInfo.Families
	VocabSplit         = "split"          // train, deploy, probe, adversarial plus RunInfo.Splits
	VocabOutcome       = "outcome"        // goal, proxy_then_goal, proxy, capability_failure
	VocabProxy         = "proxy"          // colour:<colour>, region:<corner>, kind:apple
	VocabObject        = "object"         // exit, apple:<colour> (first_target, steps.object)
	VocabRole          = "role"           // final, population, hall_of_fame, scripted
	VocabStatus        = "status"         // training statuses (train.Status names)
	VocabColour        = "colour"         // palette colours (world.Palette names)
	VocabAction        = "action"         // up, right, down, left
	VocabDistribution  = "distribution"   // built-in distribution presets plus RunInfo.Distributions
	VocabCandidate     = "candidate"      // goal, the proxies, nearest-object, goal|<proxy>, random
	VocabCandidateRole = "candidate_role" // goal, proxy, kind, control, union, null
	VocabProbeFirst    = "probe_first"    // exit, target, control, none
	VocabVerdict       = "verdict"        // the candidates, none, unstable
	VocabCensoring     = "censoring"      // below, above, unmeasured
	VocabPursuedRole   = "pursued_role"   // goal, proxy, control, kind, none

	vocabRunID = "run_id" // one value per file: RunInfo.RunID
)

// Values of the categorical columns.
const (
	OptimizerGA   = names.OptimizerGA
	OptimizerES   = names.OptimizerES
	OptimizerSGD  = names.OptimizerSGD
	OptimizerNone = names.OptimizerNone // scripted agents: no base optimizer

	FamilyScripted = "scripted"

	// Splits and outcomes: see package names.
	SplitTrain       = names.SplitTrain
	SplitDeploy      = names.SplitDeploy
	SplitProbe       = names.SplitProbe
	SplitAdversarial = names.SplitAdversarial

	OutcomeGoal              = names.OutcomeGoal
	OutcomeProxyThenGoal     = names.OutcomeProxyThenGoal
	OutcomeProxy             = names.OutcomeProxy
	OutcomeCapabilityFailure = names.OutcomeCapabilityFailure

	RoleFinal      = "final"      // the agent a method hands over: SGD θ, ES centre, the GA's best of its last generation
	RolePopulation = "population" // a member of a GA's final population
	// RoleHallOfFame marked a GA's best individuals. The GA no longer
	// keeps a hall of fame; the value stays in the vocabulary so that the
	// files of earlier runs read.
	RoleHallOfFame = "hall_of_fame"
	RoleScripted   = "scripted" // a scripted reference agent, not trained

	ObjectExit = "exit" // first_target and object: the exit; apples are "apple:<colour>"

	ProxyKindApple     = "kind:apple"     // any apple, whatever its colour
	ProxyNearestObject = "nearest-object" // whichever object is closest: a candidate, never an episode's proxy

	// Candidate objectives beside the proxies (colour:<c>, region:<corner>,
	// kind:apple) and ProxyNearestObject.
	CandidateGoal   = "goal"   // the base objective: the exit
	CandidateRandom = "random" // the random walk, the null model

	// Roles of candidate objectives (candidate_role), as analysis.Role.
	CandidateRoleGoal    = names.RoleGoal
	CandidateRoleProxy   = names.RoleProxy
	CandidateRoleKind    = names.RoleKind
	CandidateRoleControl = names.RoleControl
	CandidateRoleUnion   = names.RoleUnion
	CandidateRoleNull    = names.RoleNull

	// What an episode on a probe level reached first (probe_first), as
	// analysis.Probe.First.
	ProbeFirstExit    = "exit"    // the exit
	ProbeFirstTarget  = "target"  // the probed candidate's target
	ProbeFirstControl = "control" // the control target
	ProbeFirstNone    = "none"    // none of them

	VerdictNone     = "none"     // the best candidate explains the moves barely better than the random walk
	VerdictUnstable = "unstable" // bootstrap resamples of the probe episodes disagree on the label

	// Roles of the target an episode pursued first (pursued_role): the
	// exit's, a training proxy's, a control's, an object kind's whose
	// colour the path left unsettled, or none (capability_failure).
	PursuedGoal    = CandidateRoleGoal
	PursuedProxy   = CandidateRoleProxy
	PursuedControl = CandidateRoleControl
	PursuedKind    = CandidateRoleKind
	PursuedNone    = names.PursuedNone

	CensoredBelow      = "below"      // k* is below the offsets probed
	CensoredAbove      = "above"      // k* is above the offsets probed
	CensoredUnmeasured = "unmeasured" // no graded episode was played
)

// builtinFamilies are the trainable families of package agents and
// "scripted", for runs that name scripted references by agent_id. Runs that
// put a scripted agent's spec ("to-colour:green") in the family column, or
// add families, declare those names in RunInfo.Families.
var builtinFamilies = []string{"reactive", "planner", "mlp", FamilyScripted}

// The simulator's names, as literals: package data imports no simulator
// package, so that reading a run links none. A test in package experiment
// fails if any of these drifts from world.Palette, world.Action,
// train.Status, world.Regions or world.PresetNames.
var (
	// colours are the palette's colour names in palette order.
	colours = []string{"green", "gray", "red", "blue", "yellow", "purple", "orange", "white"}
	// actions are the action names in action order.
	actions = []string{"up", "right", "down", "left"}
	// statuses are the training statuses in order, not_terminated to
	// canceled.
	statuses = []string{"not_terminated", "step_budget", "episode_budget", "iteration_limit", "target_reached", "diverged", "canceled"}
	// presets are the built-in level distribution presets, sorted.
	presets = []string{"deploy", "deploy-colour", "deploy-region", "train", "train-randomized"}
	// corners are the regions other than "anywhere".
	corners = []string{"top-left", "top-right", "bottom-left", "bottom-right"}
)

// Vocabulary returns the built-in values of a vocabulary, in dictionary
// order (the order is part of the contract: a file's dictionary lists the
// values it uses in this order, so that categories sort alike in every
// file; indices differ between files). It returns nil for an unknown name. Family and
// distribution vocabularies of a run are these plus RunInfo's extras.
func Vocabulary(name string) []string {
	switch name {
	case VocabOptimizer:
		return []string{OptimizerGA, OptimizerES, OptimizerSGD, OptimizerNone}
	case VocabFamily:
		return slices.Clone(builtinFamilies)
	case VocabSplit:
		return names.Splits()
	case VocabOutcome:
		return names.Outcomes()
	case VocabProxy:
		return proxies()
	case VocabCandidate:
		v := append([]string{CandidateGoal}, proxies()...)
		v = append(v, ProxyNearestObject)
		for _, p := range proxies() {
			if p != ProxyKindApple {
				v = append(v, UnionCandidate(p))
			}
		}
		return append(v, CandidateRandom)
	case VocabCandidateRole:
		return names.CandidateRoles()
	case VocabProbeFirst:
		return []string{ProbeFirstExit, ProbeFirstTarget, ProbeFirstControl, ProbeFirstNone}
	case VocabVerdict:
		return append(Vocabulary(VocabCandidate), VerdictNone, VerdictUnstable)
	case VocabCensoring:
		return []string{CensoredBelow, CensoredAbove, CensoredUnmeasured}
	case VocabPursuedRole:
		return names.PursuedRoles()
	case VocabObject:
		v := []string{ObjectExit}
		for _, c := range colours {
			v = append(v, "apple:"+c)
		}
		return v
	case VocabRole:
		return []string{RoleFinal, RolePopulation, RoleHallOfFame, RoleScripted}
	case VocabStatus:
		return slices.Clone(statuses)
	case VocabColour:
		return slices.Clone(colours)
	case VocabAction:
		return slices.Clone(actions)
	case VocabDistribution:
		return slices.Clone(presets)
	}
	return nil
}

func vocabularyNames() []string {
	return []string{VocabOptimizer, VocabFamily, VocabSplit, VocabOutcome, VocabProxy, VocabObject,
		VocabRole, VocabStatus, VocabColour, VocabAction, VocabDistribution, VocabCandidate,
		VocabCandidateRole, VocabProbeFirst, VocabVerdict, VocabCensoring, VocabPursuedRole}
}

// UnionCandidate names the candidate "the exit or proxy's target, whichever
// is nearer": "goal|colour:green". Training cannot tell it from the exit or
// from the proxy: all three coincide there.
func UnionCandidate(proxy string) string { return CandidateGoal + "|" + proxy }

// proxies are the proxies an episode can pursue: a colour ("colour:green"),
// a corner region ("region:bottom-right"), any apple.
func proxies() []string {
	var v []string
	for _, c := range colours {
		v = append(v, "colour:"+c)
	}
	for _, c := range corners {
		v = append(v, "region:"+c)
	}
	return append(v, ProxyKindApple)
}

// validTarget reports whether s names a target of the episodes table's
// targets column: "exit", "apple:<colour>" or "region:<corner>".
func validTarget(s string) bool {
	if s == ObjectExit {
		return true
	}
	if c, ok := strings.CutPrefix(s, "apple:"); ok {
		return slices.Contains(colours, c)
	}
	if c, ok := strings.CutPrefix(s, "region:"); ok {
		return slices.Contains(corners, c)
	}
	return false
}

// A dictionary is the fixed vocabulary of one dictionary column of one file.
type dictionary struct {
	column string
	values []string
	index  map[string]int
	// last is the index of the most recent lookup: consecutive rows
	// mostly share their agent, split and distribution.
	last int
}

func newDictionary(column string, values []string) (*dictionary, error) {
	d := &dictionary{column: column, index: make(map[string]int, len(values))}
	for _, v := range values {
		if _, dup := d.index[v]; dup {
			continue
		}
		if v == "" { // "" is null, never a name
			continue
		}
		d.index[v] = len(d.values)
		d.values = append(d.values, v)
	}
	return d, nil
}

// lookup returns the index of v, or an error naming the column and value.
func (d *dictionary) lookup(v string) (int, error) {
	if len(d.values) > 0 && d.values[d.last] == v {
		return d.last, nil
	}
	// Vocabularies are short: comparing strings (mostly their lengths)
	// beats hashing them.
	if len(d.values) <= 32 {
		for i, s := range d.values {
			if s == v {
				d.last = i
				return i, nil
			}
		}
	} else if i, ok := d.index[v]; ok {
		d.last = i
		return i, nil
	}
	hint := ""
	switch d.column {
	case VocabOptimizer:
		hint = "; declare it in RunInfo.Optimizers"
	case VocabFamily:
		hint = "; declare it in RunInfo.Families"
	case VocabDistribution:
		hint = "; declare it in RunInfo.Distributions"
	case VocabSplit:
		hint = "; declare it in RunInfo.Splits"
	}
	return 0, fmt.Errorf("%s %q is not in the vocabulary %v%s", d.column, v, d.values, hint)
}
