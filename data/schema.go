package data

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/mesa-alignment/mesa/names"
)

// SchemaVersion is the version of the data contract this package writes.
// Every change to a table's columns, types or vocabularies bumps it (the
// golden schema test in testdata/schemas.golden makes such a change
// deliberate). Readers accept files of this version and of later versions
// whose required columns still match (new columns are ignored).
//
// Version 2 added the episodes columns targets, probe and probe_first, the
// outcome proxy_then_goal, the attribution table and the candidate,
// candidate_role and probe_first vocabularies, and dropped nearest-object
// from the proxy vocabulary.
//
// Version 3 added to every table the point column and a param.<path>
// column per sweep parameter, the mesa.params schema metadata, and the
// manifest's params and points. It only added columns: readers read
// version 2 files too, with point 0.
//
// Version 4 added the training columns monitor_success and monitor_return:
// the current agent measured on held-out training levels at checkpoints.
// Readers read older files with those columns null.
//
// Version 5 added the attribution columns verdict, stability, share, gain
// (the verdict with its bootstrap uncertainty and the gain over the random
// walk), k_star, k_lo, k_hi, k_censored, strength, strength_lo,
// strength_hi and graded (the graded probes: indifference offsets and
// proxy strength in steps), and the verdict and censoring vocabularies.
// Readers read older files with those columns null.
//
// Version 6 added seed_index (the training seed's index, 0 for scripted
// agents) to episodes, training, agents and attribution, and pursued_role
// (the role of the target an episode pursued first: goal, proxy, control,
// kind or none) to episodes, with its vocabulary pursued_role; agent ids
// became "<optimizer>/<family>/s<seed index>" (see AgentRow.AgentID); and
// each dictionary holds only the values its file uses, in vocabulary
// order, so that a group-by shows no empty group. Readers read older
// files with seed_index -1 and pursued_role "".
//
// Version 7 changed no column: the planner family's Iterations 0 became the
// infinite horizon (see agents.Planner; it was K sweeps covering the maze),
// so the planner agents of older runs act, and replay, as a planner this
// mesa no longer has. Readers read older files; the experiment's Replayer
// refuses older runs with such planners, and a run directory of an older
// schema is run again rather than continued.
const SchemaVersion = 7

// oldestReadable is the oldest schema version readers read.
const oldestReadable = 2

// Table names, as in the manifest and in the mesa.table schema metadata.
const (
	TableEpisodes    = names.TableEpisodes
	TableTraining    = names.TableTraining
	TableAgents      = names.TableAgents
	TableAttribution = names.TableAttribution
	TableSteps       = names.TableSteps      // optional: only with Options.Steps
	TableCurriculum  = names.TableCurriculum // optional: only with Options.Curriculum
)

// Tables lists the table names in the order a run writes them.
func Tables() []string {
	return []string{TableEpisodes, TableTraining, TableAgents, TableAttribution, TableSteps, TableCurriculum}
}

// Indices of the tables in Tables() order.
const (
	tabEpisodes = iota
	tabTraining
	tabAgents
	tabAttribution
	tabSteps
	tabCurriculum
	numTables
)

// FileName returns the file a complete run stores table in: "episodes.arrow".
func FileName(table string) string { return table + ".arrow" }

// Schema metadata keys carried by every table file.
const (
	MetaSchemaVersion = "mesa.schema_version" // decimal, e.g. "2"
	MetaTable         = "mesa.table"          // a table name: "episodes", "training", "agents", "attribution" or "steps"
	MetaRunID         = "mesa.run_id"
	MetaRootSeed      = "mesa.root_seed" // decimal uint64
	MetaConfig        = "mesa.config"    // the resolved config, YAML or JSON, as given
	MetaVersions      = "mesa.versions"  // JSON object of component versions
	// MetaParams lists the sweep parameter columns of the file, a JSON
	// array of column names: ["param.train.randomize"]; [] outside sweeps.
	MetaParams = "mesa.params"
)

// column describes one column of the contract. vocab names the vocabulary
// of a dictionary column ("" for others).
type column struct {
	name     string
	typ      arrow.DataType
	nullable bool
	vocab    string
}

// pointColumn is the last contract column of every table: the sweep point
// the row belongs to (see Writer.SetPoint), 0 outside sweeps. It is the
// one optional column: schema version 2 files lack it, and readers then
// read point 0.
var pointColumn = column{name: "point", typ: i32}

// ParamColumnPrefix starts the name of a sweep parameter's column:
// "param.train.randomize" holds the values of the config path
// train.randomize. Param columns follow the contract's columns.
const ParamColumnPrefix = "param."

// paramColumns returns the columns of a run's sweep parameters, in
// RunInfo.Params order. A text parameter's dictionary vocabulary is named
// after its column.
func paramColumns(params []Param) []column {
	cols := make([]column, len(params))
	for i, p := range params {
		c := column{name: ParamColumnPrefix + p.Path, typ: f64}
		if !p.Numeric {
			c.typ, c.vocab = dict16(), c.name
		}
		cols[i] = c
	}
	return cols
}

func dict8() arrow.DataType {
	return &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}
}

// dict16 is for vocabularies a run may extend (families, distributions),
// so that a long list of extras still fits.
func dict16() arrow.DataType {
	return &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}
}

var (
	i16 = arrow.PrimitiveTypes.Int16
	i32 = arrow.PrimitiveTypes.Int32
	i64 = arrow.PrimitiveTypes.Int64
	u64 = arrow.PrimitiveTypes.Uint64
	f64 = arrow.PrimitiveTypes.Float64
	str = arrow.BinaryTypes.String
	bln = arrow.FixedWidthTypes.Boolean
)

// objectiveType is the planner's mesa-objective readout: one weight per cell
// feature, as Weight.
var objectiveType = arrow.ListOf(arrow.StructOf(
	arrow.Field{Name: "feature", Type: str},
	arrow.Field{Name: "weight", Type: f64},
))

// targetType is the ordered list of targets an episode reached, as
// EpisodeRow.Targets.
var targetType = arrow.ListOf(arrow.StructOf(
	arrow.Field{Name: "target", Type: str},
	arrow.Field{Name: "step", Type: i32},
	arrow.Field{Name: "pursued", Type: bln},
))

// gradedType is a candidate's graded-probe curve, as
// AttributionRow.Graded.
var gradedType = arrow.ListOf(arrow.StructOf(
	arrow.Field{Name: "offset", Type: i32},
	arrow.Field{Name: "episodes", Type: i32},
	arrow.Field{Name: "target_first", Type: i32},
	arrow.Field{Name: "exit_first", Type: i32},
))

// Column indices of each table, in schema order. The readers and writers
// address columns through these, so the order below is the contract.
const (
	epRunID = iota
	epOptimizer
	epFamily
	epAgentID
	epAgentSeed
	epSeedIndex
	epSplit
	epLevelSeed
	epWidth
	epHeight
	epSteps
	epBaseReturn
	epReachedExit
	epFirstTarget
	epOutcome
	epProxy
	epPursuedRole
	epApplesEaten
	epEpisode
	epDistribution
	epGreedy
	epFirstStep
	epStepLimit
	epExitColour
	epExitX
	epExitY
	epStartX
	epStartY
	epEndX
	epEndY
	epApples
	epRandomized
	epCue
	epShortestPath
	epCellsVisited
	epTargets
	epProbe
	epProbeFirst
	epPoint
	epNumCols
)

var episodeCols = [epNumCols]column{
	epRunID:        {"run_id", dict8(), false, vocabRunID},
	epOptimizer:    {"optimizer", dict8(), false, VocabOptimizer},
	epFamily:       {"family", dict16(), false, VocabFamily},
	epAgentID:      {"agent_id", str, false, ""},
	epAgentSeed:    {"agent_seed", u64, false, ""},
	epSeedIndex:    {"seed_index", i32, false, ""},
	epSplit:        {"split", dict8(), false, VocabSplit},
	epLevelSeed:    {"level_seed", u64, false, ""},
	epWidth:        {"width", i16, false, ""},
	epHeight:       {"height", i16, false, ""},
	epSteps:        {"steps", i32, false, ""},
	epBaseReturn:   {"base_return", f64, false, ""},
	epReachedExit:  {"reached_exit", bln, false, ""},
	epFirstTarget:  {"first_target", dict8(), true, VocabObject},
	epOutcome:      {"outcome", dict8(), true, VocabOutcome},
	epProxy:        {"proxy", dict8(), true, VocabProxy},
	epPursuedRole:  {"pursued_role", dict8(), true, VocabPursuedRole},
	epApplesEaten:  {"apples_eaten", i32, false, ""},
	epEpisode:      {"episode", i32, false, ""},
	epDistribution: {"distribution", dict16(), true, VocabDistribution},
	epGreedy:       {"greedy", bln, false, ""},
	epFirstStep:    {"first_step", i32, true, ""},
	epStepLimit:    {"step_limit", i32, false, ""},
	epExitColour:   {"exit_colour", dict8(), false, VocabColour},
	epExitX:        {"exit_x", i16, false, ""},
	epExitY:        {"exit_y", i16, false, ""},
	epStartX:       {"start_x", i16, false, ""},
	epStartY:       {"start_y", i16, false, ""},
	epEndX:         {"end_x", i16, false, ""},
	epEndY:         {"end_y", i16, false, ""},
	epApples:       {"apples", i32, false, ""},
	epRandomized:   {"randomized", bln, false, ""},
	epCue:          {"cue", bln, false, ""},
	epShortestPath: {"shortest_path", i32, true, ""},
	epCellsVisited: {"cells_visited", i32, false, ""},
	epTargets:      {"targets", targetType, true, ""},
	epProbe:        {"probe", dict8(), true, VocabCandidate},
	epProbeFirst:   {"probe_first", dict8(), true, VocabProbeFirst},
	epPoint:        pointColumn,
}

const (
	trRunID = iota
	trOptimizer
	trFamily
	trAgentSeed
	trSeedIndex
	trPopulation
	trIteration
	trEnvSteps
	trEpisodes
	trFitnessMin
	trFitnessMean
	trFitnessMax
	trFitnessStd
	trBest
	trGradNorm
	trEntropy
	trStepSize
	trElapsedMS
	trDistribution
	trParamNorm
	trMonitorSuccess
	trMonitorReturn
	trPoint
	trNumCols
)

var trainingCols = [trNumCols]column{
	trRunID:        {"run_id", dict8(), false, vocabRunID},
	trOptimizer:    {"optimizer", dict8(), false, VocabOptimizer},
	trFamily:       {"family", dict16(), false, VocabFamily},
	trAgentSeed:    {"agent_seed", u64, false, ""},
	trSeedIndex:    {"seed_index", i32, false, ""},
	trPopulation:   {"population", i32, false, ""},
	trIteration:    {"iteration", i32, false, ""},
	trEnvSteps:     {"env_steps", i64, false, ""},
	trEpisodes:     {"episodes", i64, false, ""},
	trFitnessMin:   {"fitness_min", f64, false, ""},
	trFitnessMean:  {"fitness_mean", f64, false, ""},
	trFitnessMax:   {"fitness_max", f64, false, ""},
	trFitnessStd:   {"fitness_std", f64, false, ""},
	trBest:         {"best", f64, false, ""},
	trGradNorm:     {"grad_norm", f64, false, ""},
	trEntropy:      {"entropy", f64, false, ""},
	trStepSize:     {"step_size", f64, false, ""},
	trElapsedMS:    {"elapsed_ms", f64, true, ""},
	trDistribution: {"distribution", dict16(), true, VocabDistribution},
	trParamNorm:    {"param_norm", f64, true, ""},
	// Null but on checkpoint rows (see TrainingRow.Monitored).
	trMonitorSuccess: {"monitor_success", f64, true, ""},
	trMonitorReturn:  {"monitor_return", f64, true, ""},
	trPoint:          pointColumn,
}

const (
	agRunID = iota
	agOptimizer
	agFamily
	agAgentID
	agAgentSeed
	agSeedIndex
	agRole
	agIndex
	agFitness
	agParams
	agParamNames
	agObjective
	agStatus
	agEnvSteps
	agEpisodes
	agIterations
	agDistribution
	agPoint
	agNumCols
)

var agentCols = [agNumCols]column{
	agRunID:        {"run_id", dict8(), false, vocabRunID},
	agOptimizer:    {"optimizer", dict8(), false, VocabOptimizer},
	agFamily:       {"family", dict16(), false, VocabFamily},
	agAgentID:      {"agent_id", str, false, ""},
	agAgentSeed:    {"agent_seed", u64, false, ""},
	agSeedIndex:    {"seed_index", i32, false, ""},
	agRole:         {"role", dict8(), false, VocabRole},
	agIndex:        {"index", i32, false, ""},
	agFitness:      {"fitness", f64, false, ""},
	agParams:       {"params", arrow.ListOf(f64), false, ""},
	agParamNames:   {"param_names", arrow.ListOf(str), true, ""},
	agObjective:    {"mesa_objective", objectiveType, true, ""},
	agStatus:       {"status", dict8(), true, VocabStatus},
	agEnvSteps:     {"env_steps", i64, false, ""},
	agEpisodes:     {"episodes", i64, false, ""},
	agIterations:   {"iterations", i32, false, ""},
	agDistribution: {"distribution", dict16(), true, VocabDistribution},
	agPoint:        pointColumn,
}

const (
	atRunID = iota
	atOptimizer
	atFamily
	atAgentID
	atAgentSeed
	atSeedIndex
	atCandidate
	atRole
	atControl
	atProbes
	atExitFirst
	atTargetFirst
	atControlFirst
	atTargetRate
	atTargetLo
	atTargetHi
	atControlRate
	atControlLo
	atControlHi
	atPValue
	atPursued
	atBeta
	atLogLik
	atLogEvidence
	atPosterior
	atAttributed
	atReadout
	atProbeSteps
	atVerdict
	atStability
	atShare
	atGain
	atKStar
	atKLo
	atKHi
	atKCensored
	atStrength
	atStrengthLo
	atStrengthHi
	atGraded
	atPoint
	atNumCols
)

var attributionCols = [atNumCols]column{
	atRunID:        {"run_id", dict8(), false, vocabRunID},
	atOptimizer:    {"optimizer", dict8(), false, VocabOptimizer},
	atFamily:       {"family", dict16(), false, VocabFamily},
	atAgentID:      {"agent_id", str, false, ""},
	atAgentSeed:    {"agent_seed", u64, false, ""},
	atSeedIndex:    {"seed_index", i32, false, ""},
	atCandidate:    {"candidate", dict8(), false, VocabCandidate},
	atRole:         {"role", dict8(), false, VocabCandidateRole},
	atControl:      {"control", dict8(), true, VocabCandidate},
	atProbes:       {"probes", i32, false, ""},
	atExitFirst:    {"exit_first", i32, false, ""},
	atTargetFirst:  {"target_first", i32, false, ""},
	atControlFirst: {"control_first", i32, false, ""},
	atTargetRate:   {"target_rate", f64, false, ""},
	atTargetLo:     {"target_lo", f64, false, ""},
	atTargetHi:     {"target_hi", f64, false, ""},
	atControlRate:  {"control_rate", f64, false, ""},
	atControlLo:    {"control_lo", f64, false, ""},
	atControlHi:    {"control_hi", f64, false, ""},
	atPValue:       {"p_value", f64, true, ""},
	atPursued:      {"pursued", bln, false, ""},
	atBeta:         {"beta", f64, false, ""},
	atLogLik:       {"log_lik", f64, false, ""},
	atLogEvidence:  {"log_evidence", f64, false, ""},
	atPosterior:    {"posterior", f64, false, ""},
	atAttributed:   {"attributed", bln, false, ""},
	atReadout:      {"readout", f64, true, ""},
	atProbeSteps:   {"probe_steps", i64, false, ""},
	atVerdict:      {"verdict", dict8(), true, VocabVerdict},
	atStability:    {"stability", f64, true, ""},
	atShare:        {"share", f64, true, ""},
	atGain:         {"gain", f64, true, ""},
	atKStar:        {"k_star", f64, true, ""},
	atKLo:          {"k_lo", f64, true, ""},
	atKHi:          {"k_hi", f64, true, ""},
	atKCensored:    {"k_censored", dict8(), true, VocabCensoring},
	atStrength:     {"strength", f64, true, ""},
	atStrengthLo:   {"strength_lo", f64, true, ""},
	atStrengthHi:   {"strength_hi", f64, true, ""},
	atGraded:       {"graded", gradedType, true, ""},
	atPoint:        pointColumn,
}

const (
	stRunID = iota
	stAgentID
	stSplit
	stEpisode
	stT
	stX
	stY
	stAction
	stObject
	stPoint
	stNumCols
)

var stepCols = [stNumCols]column{
	stRunID:   {"run_id", dict8(), false, vocabRunID},
	stAgentID: {"agent_id", str, false, ""},
	stSplit:   {"split", dict8(), false, VocabSplit},
	stEpisode: {"episode", i32, false, ""},
	stT:       {"t", i32, false, ""},
	stX:       {"x", i16, false, ""},
	stY:       {"y", i16, false, ""},
	stAction:  {"action", dict8(), false, VocabAction},
	stObject:  {"object", dict8(), true, VocabObject},
	stPoint:   pointColumn,
}

func tableColumns(table string) []column {
	switch table {
	case TableEpisodes:
		return episodeCols[:]
	case TableTraining:
		return trainingCols[:]
	case TableAgents:
		return agentCols[:]
	case TableAttribution:
		return attributionCols[:]
	case TableSteps:
		return stepCols[:]
	case TableCurriculum:
		return curriculumCols[:]
	}
	return nil
}

// Schema returns the schema of table without run metadata and sweep
// parameters, or nil for an unknown table. Written files carry the same
// fields, then a column per sweep parameter of the run (RunInfo.Params),
// and the mesa.* schema metadata.
func Schema(table string) *arrow.Schema {
	return schemaWith(table, nil, nil)
}

// schemaWith returns the schema of table for a run with the given sweep
// parameters: the contract's columns, then one per parameter.
func schemaWith(table string, params []Param, md *arrow.Metadata) *arrow.Schema {
	cols := tableColumns(table)
	if cols == nil {
		return nil
	}
	cols = append(slices.Clip(cols), paramColumns(params)...)
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: c.nullable}
	}
	return arrow.NewSchema(fields, md)
}

// runMetadata is the schema metadata of every table of a run, in a fixed
// key order so that files are byte-identical across runs.
func runMetadata(table string, info *RunInfo, versionsJSON string) arrow.Metadata {
	names := []string{}
	for _, c := range paramColumns(info.Params) {
		names = append(names, c.name)
	}
	params, _ := json.Marshal(names) // strings always marshal
	return arrow.NewMetadata(
		[]string{MetaSchemaVersion, MetaTable, MetaRunID, MetaRootSeed, MetaConfig, MetaVersions, MetaParams},
		[]string{fmt.Sprint(SchemaVersion), table, info.RunID, fmt.Sprint(info.RootSeed), string(info.Config), versionsJSON, string(params)},
	)
}

// optionalColumn reports whether a table may lack the column: the columns
// schema versions after the oldest readable added.
func optionalColumn(name string) bool {
	switch name {
	case pointColumn.name, "monitor_success", "monitor_return",
		// schema version 5: attribution verdicts and graded probes
		"verdict", "stability", "share", "gain", "k_star", "k_lo", "k_hi", "k_censored",
		"strength", "strength_lo", "strength_hi", "graded",
		// schema version 6: seed index and pursued role
		"seed_index", "pursued_role":
		return true
	}
	return false
}

// checkSchema verifies that s has every column of table with the contract's
// type, and returns the index in s of each contract column (-1 for a
// missing optional one). Extra columns are tolerated (a later schema
// version may add some); nullability is not checked, since a reader
// handles nulls in any column it reads as nullable.
func checkSchema(table string, s *arrow.Schema) ([]int, error) {
	cols := tableColumns(table)
	idx := make([]int, len(cols))
	for i, c := range cols {
		found := s.FieldIndices(c.name)
		if len(found) == 0 && optionalColumn(c.name) {
			idx[i] = -1
			continue
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("missing column %q", c.name)
		}
		if len(found) > 1 {
			return nil, fmt.Errorf("column %q appears %d times", c.name, len(found))
		}
		if got := s.Field(found[0]).Type; !arrow.TypeEqual(got, c.typ) {
			return nil, fmt.Errorf("column %q has type %s, want %s", c.name, got, c.typ)
		}
		idx[i] = found[0]
	}
	return idx, nil
}
