package experiment

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/world"
)

// A Replayer plays the evaluation episodes of a finished run again, from
// its tables: the config in its manifest, the agents' θ in agents.arrow and
// the logged rows in episodes.arrow. Levels, rollout streams and policies
// are the ones evaluation uses (the same functions), so a replay that
// differs from its row is a bug or a changed simulator, and is reported as
// an error.
//
// A Replayer holds the run's agents in memory and, for the episode rows,
// only where each agent's episodes of each split begin in episodes.arrow:
// its memory does not grow with the number of episodes. Its methods are
// not safe for concurrent use.
type Replayer struct {
	runID  string
	plan   *Plan
	points []*Config    // by point, made when first needed
	suites []*evalSuite // by point, built when first needed
	// agents by point: evaluated agents (final and scripted) in table
	// order, and by id.
	order  [][]string
	agents []map[string]data.AgentRow
	// episodes is the run's episodes table, kept open, and blocks where
	// the rows of each agent and split begin in it.
	episodes *data.Reader[data.EpisodeRow]
	blocks   map[blockKey]rowAt
	// doctor, if not nil, changes a logged row as it is read (tests).
	doctor func(*data.EpisodeRow)
}

// A blockKey names the episode rows of one agent on one split.
type blockKey struct {
	point        int
	agent, split string
}

// rowAt is the first row of a block: its record batch and index, and its
// episode.
type rowAt struct{ batch, row, episode int }

// A Replay is one evaluation episode played again.
type Replay struct {
	Level *world.Level
	// Path is the agent's cells, the start first: Path[t] is its cell
	// after t actions.
	Path    []world.Point
	Actions []world.Action
	// Row is the episode's row as logged in episodes.arrow.
	Row data.EpisodeRow
}

// infiniteHorizonSchema is the data.SchemaVersion from which a planner's
// Iterations 0 is the infinite horizon (agents.Planner); runs written
// before it planned with K sweeps covering the maze.
const infiniteHorizonSchema = 7

// isDefaultPlanner reports whether fam is a planner of Iterations 0.
func isDefaultPlanner(fam agents.Family) bool {
	p, ok := fam.(agents.Planner)
	return ok && p.Iterations == 0
}

// NewReplayer reads the run in dir (manifest config, agents.arrow,
// episodes.arrow), whose families and optimizers are mesa's own.
func NewReplayer(dir string) (*Replayer, error) { return Builtin().NewReplayer(dir) }

// NewReplayer reads the run in dir, whose families and optimizers are
// reg's. It refuses a run written before infiniteHorizonSchema whose
// config has a planner of Iterations 0: that planner is not today's, and
// its episodes would not replay.
func (reg *Registry) NewReplayer(dir string) (*Replayer, error) {
	if m, err := data.ReadManifest(dir); err == nil && m.SchemaVersion < infiniteHorizonSchema {
		if cfg, err := reg.ParseContext(context.Background(), strings.NewReader(m.Config), nil); err == nil {
			for _, f := range cfg.Families {
				if fam, err := f.Build(); err == nil && isDefaultPlanner(fam) {
					return nil, fmt.Errorf("replay: %s: run of schema version %d has planners of the cover-the-maze horizon, which this mesa no longer has (Iterations 0 is the infinite horizon since schema %d): run it again to replay it",
						dir, m.SchemaVersion, infiniteHorizonSchema)
				}
			}
		}
	}
	run, err := data.OpenRun(dir)
	if err != nil {
		return nil, err
	}
	defer run.Close()
	m := run.Manifest()
	cfg, err := reg.ParseContext(context.Background(), strings.NewReader(m.Config), nil)
	if err != nil {
		return nil, fmt.Errorf("replay: %s: manifest %w", dir, err)
	}
	plan, err := NewPlan(cfg)
	if err != nil {
		return nil, fmt.Errorf("replay: %s: %w", dir, err)
	}
	if plan.RunID != m.RunID {
		return nil, fmt.Errorf("replay: %s: the manifest's config is run %s, the manifest says %s: written by another version of mesa", dir, plan.RunID, m.RunID)
	}
	r := &Replayer{runID: m.RunID, plan: plan, points: make([]*Config, plan.Points), suites: make([]*evalSuite, plan.Points),
		order: make([][]string, plan.Points), agents: make([]map[string]data.AgentRow, plan.Points),
		blocks: map[blockKey]rowAt{}}
	for k := range r.agents {
		r.agents[k] = map[string]data.AgentRow{}
	}
	for _, t := range []string{data.TableAgents, data.TableEpisodes} {
		if !run.Has(t) {
			return nil, fmt.Errorf("replay: %s: run %s has no %s table (status %s)", dir, m.RunID, t, m.Status)
		}
	}
	ar, err := run.Agents(nil)
	if err != nil {
		return nil, err
	}
	defer ar.Close()
	for ar.Next() {
		row := ar.Row()
		if row.Role != data.RoleFinal && row.Role != data.RoleScripted {
			continue // only the handed-over agents are evaluated
		}
		if row.Point < 0 || row.Point >= len(r.points) {
			return nil, fmt.Errorf("replay: %s: agent %s at point %d; the sweep has %d points", ar.Path(), row.AgentID, row.Point, len(r.points))
		}
		if _, dup := r.agents[row.Point][row.AgentID]; !dup {
			r.order[row.Point] = append(r.order[row.Point], row.AgentID)
		}
		r.agents[row.Point][row.AgentID] = row
	}
	if err := ar.Err(); err != nil {
		return nil, err
	}
	er, err := run.Episodes(nil)
	if err != nil {
		return nil, err
	}
	for er.Next() {
		row := er.Row()
		k := blockKey{row.Point, row.AgentID, row.Split}
		if _, ok := r.blocks[k]; !ok {
			b, i := er.Position()
			r.blocks[k] = rowAt{b, i, row.Episode}
		}
	}
	if err := er.Err(); err != nil {
		er.Close()
		return nil, err
	}
	// The table stays open, verified once, for reading logged rows.
	r.episodes = er
	return r, nil
}

// Close closes the run's episodes table.
func (r *Replayer) Close() error { return r.episodes.Close() }

// logged returns the logged row of an episode. A run's rows of one agent
// and split are consecutive and in episode order, so it reads from the
// first of them; rows laid out otherwise are found by reading them all.
func (r *Replayer) logged(point int, agentID, split string, episode int) (data.EpisodeRow, bool, error) {
	at, ok := r.blocks[blockKey{point, agentID, split}]
	if !ok {
		return data.EpisodeRow{}, false, nil
	}
	er := r.episodes
	match := func(row *data.EpisodeRow) bool {
		return row.Point == point && row.AgentID == agentID && row.Split == split && row.Episode == episode
	}
	if episode >= at.episode {
		if err := er.Seek(at.batch, at.row); err != nil {
			return data.EpisodeRow{}, false, err
		}
		for k := at.episode; k <= episode && er.Next(); k++ {
			if row := er.Row(); k == episode && match(&row) {
				return row, true, nil
			}
		}
		if err := er.Err(); err != nil {
			return data.EpisodeRow{}, false, err
		}
	}
	if err := er.Seek(0, 0); err != nil {
		return data.EpisodeRow{}, false, err
	}
	for er.Next() {
		if row := er.Row(); match(&row) {
			return row, true, nil
		}
	}
	return data.EpisodeRow{}, false, er.Err()
}

// RunID returns the id of the run.
func (r *Replayer) RunID() string { return r.runID }

// Points returns the number of sweep points of the run (1 without a sweep).
func (r *Replayer) Points() int { return len(r.points) }

// Agents returns the ids of the evaluated agents at a sweep point, in the
// order of the agents table; nil for a point the run does not have.
func (r *Replayer) Agents(point int) []string {
	if point < 0 || point >= len(r.order) {
		return nil
	}
	return append([]string(nil), r.order[point]...)
}

// Splits returns the names of the splits agents are evaluated on at a
// sweep point, in evaluation order; an error names a point the run does
// not have.
func (r *Replayer) Splits(point int) ([]string, error) {
	s, err := r.suite(point)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(s.splits))
	for i, sp := range s.splits {
		names[i] = sp.name
	}
	return names, nil
}

// Episodes returns the number of episodes of a split at a sweep point: the
// episodes are numbered from 0. It is 0 for a split or point the run does
// not have.
func (r *Replayer) Episodes(point int, split string) int {
	s, err := r.suite(point)
	if err != nil {
		return 0
	}
	if sp := s.split(split); sp != nil {
		return sp.episodes
	}
	return 0
}

func (r *Replayer) suite(point int) (*evalSuite, error) {
	if point < 0 || point >= len(r.points) {
		return nil, fmt.Errorf("replay: no point %d: run %s has points 0 to %d", point, r.runID, len(r.points)-1)
	}
	if r.suites[point] == nil {
		c, err := r.plan.Config.Point(point)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		r.points[point] = c
		s, err := newEvalSuite(c)
		if err != nil {
			return nil, fmt.Errorf("replay: point %d: %w", point, err)
		}
		r.suites[point] = s
	}
	return r.suites[point], nil
}

// Episode re-simulates one evaluation episode and checks it against the
// logged row (steps, base return, reached exit, end cell, first target,
// apples eaten); a mismatch is an error naming the fields.
func (r *Replayer) Episode(point int, agentID, split string, episode int) (*Replay, error) {
	s, err := r.suite(point)
	if err != nil {
		return nil, err
	}
	arow, ok := r.agents[point][agentID]
	if !ok {
		return nil, fmt.Errorf("replay: no agent %q at point %d (agents: %s)", agentID, point, brief(r.order[point]))
	}
	sp := s.split(split)
	if sp == nil {
		names, _ := r.Splits(point)
		return nil, fmt.Errorf("replay: no split %q (splits: %s)", split, strings.Join(names, ", "))
	}
	if episode < 0 || episode >= sp.episodes {
		return nil, fmt.Errorf("replay: no episode %d of split %s: it has episodes 0 to %d", episode, split, sp.episodes-1)
	}
	logged, ok, err := r.logged(point, agentID, split, episode)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if !ok {
		return nil, fmt.Errorf("replay: agent %s has no logged episode %d of split %s at point %d", agentID, episode, split, point)
	}
	if r.doctor != nil {
		r.doctor(&logged)
	}
	ag, err := r.points[point].evalAgentOf(arow)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	p, err := ag.policy()
	if err != nil {
		return nil, fmt.Errorf("replay: agent %s: %w", agentID, err)
	}
	var tr agents.Trajectory
	run := s.runner(&tr)
	lv, row, err := s.play(&run, p, &ag, sp, episode)
	if err != nil {
		return nil, fmt.Errorf("replay: %s episode %d: %w", split, episode, err)
	}
	if diff := episodeDiff(&row, &logged); diff != "" {
		return nil, &MismatchError{Point: point, AgentID: agentID, Split: split, Episode: episode, Diff: diff}
	}
	return &Replay{Level: lv.level, Path: tr.Positions, Actions: tr.Actions, Row: logged}, nil
}

// A MismatchError reports a replayed episode that differs from its logged
// row.
type MismatchError struct {
	Point   int
	AgentID string
	Split   string
	Episode int
	// Diff lists the fields that differ, "field replayed, logged", joined
	// by "; ".
	Diff string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("replay: point %d agent %s %s episode %d differs from its row: %s", e.Point, e.AgentID, e.Split, e.Episode, e.Diff)
}

// ErrMismatch is what errors.Is finds in a *MismatchError.
var ErrMismatch = errors.New("replay: episode differs from its row")

// Is reports target == ErrMismatch.
func (e *MismatchError) Is(target error) bool { return target == ErrMismatch }

// episodeDiff names the fields of the replayed row got that differ from
// the logged row want: level seed, steps, base return, reached exit, end
// cell, first target and apples eaten; "" if none does.
func episodeDiff(got, want *data.EpisodeRow) string {
	var d []string
	add := func(field string, g, w any) {
		d = append(d, fmt.Sprintf("%s %v, logged %v", field, g, w))
	}
	if got.LevelSeed != want.LevelSeed {
		add("level_seed", got.LevelSeed, want.LevelSeed)
	}
	if got.Steps != want.Steps {
		add("steps", got.Steps, want.Steps)
	}
	if got.BaseReturn != want.BaseReturn {
		add("base_return", strconv.FormatFloat(got.BaseReturn, 'g', -1, 64), strconv.FormatFloat(want.BaseReturn, 'g', -1, 64))
	}
	if got.ReachedExit != want.ReachedExit {
		add("reached_exit", got.ReachedExit, want.ReachedExit)
	}
	if got.EndX != want.EndX || got.EndY != want.EndY {
		add("end", fmt.Sprintf("(%d,%d)", got.EndX, got.EndY), fmt.Sprintf("(%d,%d)", want.EndX, want.EndY))
	}
	if got.FirstTarget != want.FirstTarget || got.FirstStep != want.FirstStep {
		add("first_target", fmt.Sprintf("%q@%d", got.FirstTarget, got.FirstStep), fmt.Sprintf("%q@%d", want.FirstTarget, want.FirstStep))
	}
	if got.ApplesEaten != want.ApplesEaten {
		add("apples_eaten", got.ApplesEaten, want.ApplesEaten)
	}
	return strings.Join(d, "; ")
}

// brief lists names, the first few of them.
func brief(names []string) string {
	const most = 6
	if len(names) == 0 {
		return "none"
	}
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, … (%d in all)", strings.Join(names[:most], ", "), len(names))
}
