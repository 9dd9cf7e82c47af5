package experiment

import (
	"fmt"
	"math/rand/v2"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/analysis"
	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// What an evaluation episode is — its level, its rollout stream, its
// policy — is defined here once, for the units that play and record the
// episodes and for the Replayer that plays them again from a run's tables.

// evalAgent is an agent a unit evaluates: a trained θ of a family, or a
// scripted reference.
type evalAgent struct {
	ID        string
	Optimizer string // "none" for scripted agents
	Family    string // the family, or the scripted agent's spec
	Seed      uint64
	SeedIndex int // the training seed's index; 0 for scripted agents
	// stream keys the agent's evaluation random streams (see streamKey);
	// the ID for scripted agents.
	stream   string
	Params   []float64
	family   agents.Family
	scripted string
}

// scriptedAgent returns the scripted reference agent of spec ("oracle",
// "to-colour:green"), whose id is "none/<spec>".
func scriptedAgent(spec string) evalAgent {
	id := Unit{Family: spec}.AgentID()
	return evalAgent{ID: id, Optimizer: data.OptimizerNone, Family: spec, scripted: spec, stream: id}
}

// policy returns a new policy playing the agent: the family's policy at θ,
// or the scripted agent. Policies hold per-episode state: one per worker.
func (ag *evalAgent) policy() (agents.Policy, error) {
	if ag.family != nil {
		return ag.family.Policy(ag.Params), nil
	}
	return agents.ScriptedByName(ag.scripted)
}

// view returns what the agent observes: its family's view, or its scripted
// policy p's.
func (ag *evalAgent) view(p agents.Policy) agents.View {
	if ag.family != nil {
		return agents.ViewOf(ag.family)
	}
	return agents.ViewOf(p)
}

// evalAgentOf returns the evaluated agent an agents-table row of a run of c
// describes: a scripted reference (optimizer none) or a trained agent of
// one of c's families. The agent aliases row.Params.
func (c *Config) evalAgentOf(row data.AgentRow) (evalAgent, error) {
	if row.Optimizer == data.OptimizerNone {
		ag := scriptedAgent(row.Family)
		ag.ID, ag.stream = row.AgentID, row.AgentID
		return ag, nil
	}
	for _, f := range c.Families {
		if f.Name != row.Family {
			continue
		}
		fam, err := f.Build()
		if err != nil {
			return evalAgent{}, err
		}
		if n := len(fam.ParamNames()); n != len(row.Params) {
			return evalAgent{}, fmt.Errorf("agent %s: %d parameters, family %s has %d", row.AgentID, len(row.Params), f.Name, n)
		}
		return evalAgent{ID: row.AgentID, Optimizer: row.Optimizer, Family: row.Family, Seed: row.AgentSeed,
			SeedIndex: max(row.SeedIndex, 0), stream: streamKey(row.Optimizer, row.Family, row.AgentSeed, row.Role, row.Index),
			Params: row.Params, family: fam}, nil
	}
	return evalAgent{}, fmt.Errorf("agent %s: family %q is not in the config", row.AgentID, row.Family)
}

// An evalLevel is one evaluation level, and the probe it is if it is one.
type evalLevel struct {
	level *world.Level
	probe *analysis.Probe
}

// An evalSplit is one split a point's agents are evaluated on.
type evalSplit struct {
	name     string
	dist     string // the distribution's name (ProbeSplit for the probes)
	episodes int
	probe    bool
	// level returns level k of the split; it is safe for concurrent use.
	level func(k int) (evalLevel, error)
}

// An evalSuite is what evaluating any agent at one point of a config
// needs: the base return rule, the candidate objectives episodes are
// classified against, and the splits, in evaluation order (the config's,
// then the probes unless they are off).
type evalSuite struct {
	seed   uint64
	greedy bool
	rule   world.BaseReturn
	cands  *analysis.Candidates
	splits []evalSplit
	// graded makes the graded probes, nil when they are off; offsets and
	// gradedReps (episodes per offset and candidate) say how many of them each agent plays.
	graded     *analysis.GradedProber
	offsets    []int
	gradedReps int
	verdict    analysis.VerdictSettings
	level      float64 // the confidence level of the graded fits' intervals
}

// newEvalSuite returns the evaluation suite of a point's config c.
func newEvalSuite(c *Config) (*evalSuite, error) {
	rule, err := world.ParseBaseReturn(c.BaseReturn)
	if err != nil {
		return nil, fmt.Errorf("base_return: %w", err)
	}
	s := &evalSuite{seed: c.Seed, greedy: c.Evaluate.Greedy, rule: rule}
	cands, err := c.candidates()
	if err != nil && !c.Probe.Off {
		return nil, fmt.Errorf("probe: %w", err)
	}
	if cands == nil {
		// Without a probe the episodes are still classified, against the
		// candidates the training distribution offers if any.
		cands, _ = analysis.NewCandidates(c.Train.Distribution, 0)
	}
	s.cands = cands
	for _, sp := range c.Splits {
		g, err := world.NewGenerator(sp.Distribution.Distribution)
		if err != nil {
			return nil, fmt.Errorf("split %s: %w", sp.Name, err)
		}
		// Evaluation levels derive from (root seed, split) only: every
		// unit and every sweep point plays the same levels.
		name := sp.Name
		s.splits = append(s.splits, evalSplit{name: name, dist: sp.Distribution.Name, episodes: sp.Episodes,
			level: func(k int) (evalLevel, error) {
				return evalLevel{level: g.Level(seeds.Derive(c.Seed, "eval/"+name, uint64(k)))}, nil
			}})
	}
	if c.Probe.Off {
		return s, nil
	}
	prober, err := analysis.NewProber(cands)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	s.verdict, s.level = c.Probe.verdictSettings(), gradedLevel
	if !c.Probe.Graded.Off {
		// A training distribution without a proxy that has a control
		// offers no graded probe: the probe split still runs.
		if g, err := analysis.NewGradedProber(cands); err == nil {
			s.graded, s.offsets, s.gradedReps = g, c.Probe.Graded.Offsets, c.Probe.Graded.Episodes
		}
	}
	s.splits = append(s.splits, evalSplit{name: ProbeSplit, dist: ProbeSplit, episodes: c.Probe.Episodes, probe: true,
		level: func(k int) (evalLevel, error) {
			pr, err := prober.Probe(k, seeds.Derive(c.Seed, "eval/"+ProbeSplit, uint64(k)))
			if err != nil {
				return evalLevel{}, err
			}
			return evalLevel{level: pr.Level, probe: pr}, nil
		}})
	return s, nil
}

// split returns the split of the given name, or nil.
func (s *evalSuite) split(name string) *evalSplit {
	for i := range s.splits {
		if s.splits[i].name == name {
			return &s.splits[i]
		}
	}
	return nil
}

// runner returns a runner for the suite's episodes recording into tr.
func (s *evalSuite) runner(tr *agents.Trajectory) agents.Runner {
	return agents.Runner{BaseReturn: s.rule, Greedy: s.greedy, Trajectory: tr}
}

// rolloutRNG returns the stream that draws the actions of agent agentID in
// episode k of split.
func (s *evalSuite) rolloutRNG(agentID, split string, k int) *rand.Rand {
	return seeds.New(s.seed, "eval-rollout/"+agentID+"/"+split, uint64(k))
}

// play plays episode k of split sp with policy p of agent ag on run (a
// runner from s.runner) and returns its level and its row, with the
// identity, level and behaviour columns filled and the analysis's columns
// (Outcome, Proxy, Targets, Probe, ProbeFirst) left empty.
func (s *evalSuite) play(run *agents.Runner, p agents.Policy, ag *evalAgent, sp *evalSplit, k int) (evalLevel, data.EpisodeRow, error) {
	lv, err := sp.level(k)
	if err != nil {
		return evalLevel{}, data.EpisodeRow{}, err
	}
	sum := run.Run(p, lv.level, s.rolloutRNG(ag.stream, sp.name, k))
	row := data.EpisodeRow{Optimizer: ag.Optimizer, Family: ag.Family, AgentID: ag.ID,
		AgentSeed: ag.Seed, SeedIndex: ag.SeedIndex, Split: sp.name, Episode: k, Distribution: sp.dist}
	setEpisode(&row, run.Episode(), sum)
	return lv, row, nil
}

// gradedLevel is the confidence level of the graded fits' intervals.
const gradedLevel = 0.95

// A gradedEpisode is one graded probe episode of an agent: candidate c's
// probe at offsets[offset], repetition rep.
type gradedEpisode struct {
	c           *analysis.Candidate
	offset, rep int
}

// gradedEpisodes lists the graded probe episodes every agent plays, in a
// fixed order.
func (s *evalSuite) gradedEpisodes() []gradedEpisode {
	if s.graded == nil {
		return nil
	}
	var out []gradedEpisode
	for _, c := range s.graded.Curves() {
		for i := range s.offsets {
			for rep := range s.gradedReps {
				out = append(out, gradedEpisode{c: c, offset: i, rep: rep})
			}
		}
	}
	return out
}

// gradedKey returns the key of a graded episode's level and rollout
// streams. It depends on the target's kind, the offset and the repetition,
// not on the candidate: a proxy's and its control's curves are played on
// the same levels (but for the target's colour) with the same action
// streams, a paired comparison.
func (s *evalSuite) gradedKey(g gradedEpisode) uint64 {
	return (uint64(g.c.Target)*uint64(len(s.offsets))+uint64(g.offset))*uint64(s.gradedReps) + uint64(g.rep)
}

// playGraded plays graded episode g with policy p of agent ag on run and
// returns the offset and what the agent reached first.
func (s *evalSuite) playGraded(run *agents.Runner, p agents.Policy, ag *evalAgent, g gradedEpisode) (int, string, error) {
	key := s.gradedKey(g)
	k := s.offsets[g.offset]
	pr, err := s.graded.Probe(g.c, k, seeds.Derive(s.seed, "eval/graded", key))
	if err != nil {
		return 0, "", err
	}
	run.Run(p, pr.Level, seeds.New(s.seed, "eval-rollout/"+ag.stream+"/graded", key))
	return k, pr.First(run.Trajectory.Positions), nil
}
