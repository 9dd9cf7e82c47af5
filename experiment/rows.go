package experiment

import (
	"fmt"
	"math"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// The adapters from simulator values (levels, episodes, training
// statistics, trajectories) to the rows of package data live here, so that
// data imports no simulator package and reading a run links none.

// setLevel fills the level columns of r from l: level seed, size, step
// limit, start, exit, apples, randomized, cue and shortest path.
func setLevel(r *data.EpisodeRow, l *world.Level) {
	r.LevelSeed, r.Width, r.Height, r.StepLimit = l.Seed, l.Width, l.Height, l.StepLimit
	r.StartX, r.StartY = l.Start.X, l.Start.Y
	r.ExitX, r.ExitY, r.ExitColour = l.Exit.Pos.X, l.Exit.Pos.Y, l.Exit.Colour.String()
	r.Apples, r.Randomized, r.Cue = len(l.Apples), l.Randomized, l.Cue
	d := l.Distances(make([]int32, len(l.Walls)), nil, l.Index(l.Start))
	r.ShortestPath = max(int(d[l.Index(l.Exit.Pos)]), 0)
}

// setEpisode fills the level and behaviour columns of r from a finished
// episode and its summary, as left by agents.Runner.Run (e is the runner's
// Episode()). It leaves the identity columns, Episode and the analysis's
// columns (Outcome, Proxy, Targets, Probe, ProbeFirst) alone.
func setEpisode(r *data.EpisodeRow, e *world.Episode, s agents.Summary) {
	l := e.Level()
	setLevel(r, l)
	r.Steps, r.BaseReturn, r.ReachedExit, r.ApplesEaten, r.Greedy = s.Steps, s.Return, s.ReachedExit, s.ApplesEaten, s.Greedy
	r.FirstTarget, r.FirstStep = "", 0
	if s.HasFirst {
		r.FirstTarget, r.FirstStep = objectName(s.First), s.FirstStep
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

// A trainingRun identifies one training run: the rows of its training
// table and its agents share these values.
type trainingRun struct {
	Optimizer string
	Family    string
	// AgentSeed is the seed of the training run (train.Problem.Seed).
	AgentSeed uint64
	// SeedIndex is the training seed's index (Unit.Seed).
	SeedIndex int
	// Distribution is the training distribution's name, if any.
	Distribution string
}

// agentID returns the id of the agent with the given role and index from
// this run (see data.AgentRow.AgentID): "sgd/planner/s0" for the final
// agent, "ga/planner/s0/population/3" for the others.
func (k trainingRun) agentID(role string, index int) string {
	id := fmt.Sprintf("%s/%s/s%d", k.Optimizer, k.Family, k.SeedIndex)
	if role == data.RoleFinal && index == 0 {
		return id
	}
	return fmt.Sprintf("%s/%s/%d", id, role, index)
}

// streamKey is the key of an agent's evaluation random streams (rollouts,
// bootstrap): the agent id of schema version 5, "opt/fam/seed/role/index",
// kept so that the same seed plays the same episodes as before the ids
// were shortened.
func streamKey(optimizer, family string, seed uint64, role string, index int) string {
	return fmt.Sprintf("%s/%s/%d/%s/%d", optimizer, family, seed, role, index)
}

// row converts s into a training row of this run. It reads s.Params during
// the call only.
func (k trainingRun) row(s *train.Stats) data.TrainingRow {
	return data.TrainingRow{
		Optimizer: k.Optimizer, Family: k.Family, AgentSeed: k.AgentSeed, SeedIndex: k.SeedIndex, Distribution: k.Distribution,
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

// agentRows converts the agents of a training result into rows, with ids
// from k.agentID, parameter names from fam and, if fam is an
// agents.Objective, the mesa-objective readout. The rows alias the
// result's parameter slices.
func (k trainingRun) agentRows(res *train.Result, fam agents.Family) []data.AgentRow {
	var names []string
	if fam != nil {
		names = fam.ParamNames()
	}
	obj, _ := fam.(agents.Objective)
	rows := make([]data.AgentRow, len(res.Agents))
	for i, a := range res.Agents {
		r := data.AgentRow{
			Optimizer: k.Optimizer, Family: k.Family, AgentID: k.agentID(a.Role, a.Index), AgentSeed: k.AgentSeed, SeedIndex: k.SeedIndex,
			Role: a.Role, Index: a.Index, Fitness: a.Fitness, Params: a.Params, ParamNames: names,
			Status: res.Status.String(), EnvSteps: res.EnvSteps, Episodes: res.Episodes,
			Iterations: res.Last.Iteration, Distribution: k.Distribution,
		}
		if obj != nil {
			r.Objective = weights(obj.Readout(a.Params))
		}
		rows[i] = r
	}
	return rows
}

// weights converts a mesa-objective readout into the agents table's
// mesa_objective values; nil stays nil (null).
func weights(ws []agents.Weight) []data.Weight {
	if ws == nil {
		return nil
	}
	out := make([]data.Weight, len(ws))
	for i, w := range ws {
		out[i] = data.Weight{Feature: w.Feature, Weight: w.Weight}
	}
	return out
}

func (k trainingRun) check(s *train.Stats) error {
	if s.Method != "" && k.Optimizer != s.Method {
		return fmt.Errorf("training stats of method %q recorded for optimizer %q", s.Method, k.Optimizer)
	}
	return nil
}

// stepRows appends to dst the rows of a trajectory recorded by
// agents.Runner on level l.
func stepRows(dst []data.StepRow, agentID, split string, episode int, tr *agents.Trajectory, l *world.Level) []data.StepRow {
	for t, a := range tr.Actions {
		p := tr.Positions[t+1]
		r := data.StepRow{AgentID: agentID, Split: split, Episode: episode, T: t + 1, X: p.X, Y: p.Y, Action: a.String()}
		switch o := tr.Objects[t]; {
		case o == 0:
			r.Object = data.ObjectExit
		case o > 0 && int(o) <= len(l.Apples):
			r.Object = objectName(l.Apples[o-1])
		}
		dst = append(dst, r)
	}
	return dst
}

// colourProxy names the proxy "go to things of colour c": "colour:green".
func colourProxy(c world.Colour) string { return "colour:" + c.String() }

// regionProxy names the proxy "go to this corner": "region:bottom-right".
// corner is one of world.Regions other than "anywhere".
func regionProxy(corner string) string { return "region:" + corner }

// objectName names an object as the first_target and object columns do:
// "exit" for the exit, "apple:<colour>" for an apple.
func objectName(o world.Object) string {
	if o.Kind == world.Exit {
		return data.ObjectExit
	}
	return "apple:" + o.Colour.String()
}
