// Package names holds the names mesa's packages, its files and the
// notebooks that read them share: splits, outcomes, roles, base
// optimizers, tables and the files of a run directory. It imports
// nothing, so that every package, however low, says each name from here
// and no list of names is copied (data's vocabularies, analysis's
// outcomes and roles, experiment's splits and report's labels are these).
// Families and optimizers beyond mesa's come from experiment.Registry.
package names

// Splits of the episodes table: the evaluation splits mesa itself knows.
// A config names its own splits beside them; probe is reserved.
const (
	SplitTrain       = "train"       // episodes on the training distribution
	SplitDeploy      = "deploy"      // episodes on the deployment distribution
	SplitProbe       = "probe"       // probes that separate proxies (single shifts)
	SplitAdversarial = "adversarial" // adversarially chosen levels
)

// Splits lists the splits, in the data's dictionary order.
func Splits() []string { return []string{SplitTrain, SplitDeploy, SplitProbe, SplitAdversarial} }

// Outcomes of an evaluation episode, by what the agent competently went
// for, in order (the episodes table's outcome column and the tables'
// columns).
const (
	OutcomeGoal              = "goal"               // competently to the exit, no detour first
	OutcomeProxyThenGoal     = "proxy_then_goal"    // a competent detour to a proxy's target, then the exit
	OutcomeProxy             = "proxy"              // competently to a proxy's target, never to the exit
	OutcomeCapabilityFailure = "capability_failure" // nothing competent, even if the exit was bumped into
)

// Outcomes lists the outcomes, in the data's dictionary order.
func Outcomes() []string {
	return []string{OutcomeGoal, OutcomeProxyThenGoal, OutcomeProxy, OutcomeCapabilityFailure}
}

// Roles of candidate objectives (the attribution table's role) and of the
// target an episode pursued first (pursued_role, which adds none).
const (
	RoleGoal    = "goal"    // the base objective: the exit
	RoleProxy   = "proxy"   // a feature that coincided with the exit in training
	RoleKind    = "kind"    // an object kind training did not tie to the exit
	RoleControl = "control" // a colour or corner training never showed
	RoleUnion   = "union"   // the exit or a proxy's target, whichever is nearer
	RoleNull    = "null"    // the random walk
	PursuedNone = "none"    // pursued_role of an episode that pursued nothing
)

// CandidateRoles lists the candidate roles, in the data's dictionary
// order.
func CandidateRoles() []string {
	return []string{RoleGoal, RoleProxy, RoleKind, RoleControl, RoleUnion, RoleNull}
}

// PursuedRoles lists the pursued roles, in the data's dictionary order.
func PursuedRoles() []string {
	return []string{RoleGoal, RoleProxy, RoleControl, RoleKind, PursuedNone}
}

// mesa's own base optimizers, and the optimizer of scripted references.
const (
	OptimizerGA   = "ga"
	OptimizerES   = "es"
	OptimizerSGD  = "sgd"
	OptimizerNone = "none" // scripted agents: no base optimizer
)

// Tables of a run, and the files of its directory.
const (
	TableEpisodes    = "episodes"
	TableTraining    = "training"
	TableAgents      = "agents"
	TableAttribution = "attribution"
	TableSteps       = "steps"      // optional
	TableCurriculum  = "curriculum" // optional

	ManifestFile = "manifest.json" // a run's manifest
	PlanFile     = "plan.json"     // a run directory's plan
	UnitsDir     = "units"         // a sweep's units, one directory each
	ReportDir    = "report"        // mesa analyze's report in a run
	ReportFile   = "report.md"     // the report's text
)

// Module is mesa's Go module path: what another module imports and
// requires, and the build dependency a run's manifest records as "mesa"
// (Versions) whether mesa is the main module or a researcher's module
// imports it.
const Module = "github.com/mesa-alignment/mesa"

// Curricula: where training levels come from (train.curriculum.name and
// the curriculum table's curriculum column).
const (
	CurriculumRandom    = "random"    // fresh levels from the training distribution
	CurriculumReplay    = "replay"    // Prioritized Level Replay by exact regret
	CurriculumAdversary = "adversary" // replay whose new levels may be edits of kept ones
)

// Origins of a curriculum's training level (the curriculum table's origin
// column), in the table's order.
const (
	OriginNew    = "new"    // drawn from the training distribution
	OriginReplay = "replay" // kept from an earlier iteration
	OriginEdit   = "edit"   // a kept level changed by an adversary's edits
)

// Origins lists the level origins in order.
func Origins() []string { return []string{OriginNew, OriginReplay, OriginEdit} }
