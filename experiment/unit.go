package experiment

import (
	"context"
	"fmt"
	"math"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/analysis"
	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// unitRun executes one unit into a writer of its own.
type unitRun struct {
	c       *Config // the unit's point
	runID   string
	u       Unit
	w       *data.Writer
	workers int
	rule    world.BaseReturn
	// envSteps counts the unit's training steps, for progress.
	envSteps int
}

// run trains (unless the unit is a scripted reference), evaluates on every
// split and the probes, and appends every row.
func (r *unitRun) run(ctx context.Context) error {
	suite, err := newEvalSuite(r.c)
	if err != nil {
		return err
	}
	r.rule = suite.rule
	var ag evalAgent
	if r.u.Scripted() {
		ag = scriptedAgent(r.u.Family)
		if err := r.w.AppendAgents(data.AgentRow{Optimizer: data.OptimizerNone, Family: ag.Family,
			AgentID: ag.ID, Role: data.RoleScripted}); err != nil {
			return err
		}
	} else if ag, err = r.train(ctx); err != nil {
		return err
	}
	for i := range suite.splits {
		sp := &suite.splits[i]
		ev, err := r.evaluate(ctx, suite, &ag, sp)
		if err != nil {
			return err
		}
		if sp.probe {
			curves, err := r.graded(ctx, suite, &ag)
			if err != nil {
				return err
			}
			if err := r.w.AppendAttribution(r.attribution(ag, ev, suite, curves)...); err != nil {
				return err
			}
		}
	}
	return nil
}

// train trains the unit's family with its optimizer from its seed, appends
// the training and agent rows, and returns the final agent.
func (r *unitRun) train(ctx context.Context) (evalAgent, error) {
	method, fam, err := r.build()
	if err != nil {
		return evalAgent{}, err
	}
	// A plan on a large maze takes seconds: a stopped run does not wait
	// for it. The unit is abandoned then, whatever its policies did.
	fam = agents.WithContext(fam, ctx)
	seed := seeds.Derive(r.c.Seed, "train/"+method.Name()+"/"+fam.Name(), uint64(r.u.Seed))
	run := trainingRun{Optimizer: method.Name(), Family: fam.Name(), AgentSeed: seed, SeedIndex: r.u.Seed, Distribution: r.c.Train.Name}
	b := r.c.Budget
	mon, err := r.newMonitor(fam)
	if err != nil {
		return evalAgent{}, err
	}
	budget := b.EnvSteps
	if budget == 0 {
		budget = train.DefaultEnvSteps
	}
	checkpoints := r.c.Monitor.Checkpoints
	if checkpoints == 0 {
		checkpoints = defaultCheckpoints
	}
	rec := &checkpointRecorder{w: r.w, run: run, mon: mon, all: r.c.Record.Iterations, every: max(1, budget/checkpoints),
		levels: newLevelLog(r.c)}
	cur, err := r.c.Train.Curriculum.Build()
	if err != nil {
		return evalAgent{}, err
	}
	res, err := method.Train(ctx, &train.Problem{Family: fam, Train: r.c.Train.Distribution, BaseReturn: r.rule, Seed: seed,
		Curriculum: cur}, &train.Settings{
		EnvSteps: b.EnvSteps, Episodes: b.Episodes, Iterations: b.Iterations, TargetReturn: b.TargetReturn,
		Workers: r.workers, Recorder: rec,
	})
	if err == nil && res.Status != train.Canceled {
		err = rec.finish()
	}
	if err != nil {
		return evalAgent{}, fmt.Errorf("train %s: %w", r.u.ID(), err)
	}
	if res.Status == train.Canceled {
		return evalAgent{}, ctx.Err()
	}
	r.envSteps = res.EnvSteps
	var final *evalAgent
	for _, row := range run.agentRows(res, fam) {
		if row.Role != data.RoleFinal && !r.c.Record.Population {
			continue // what analysis needs is the agent the method hands over
		}
		if err := r.w.AppendAgents(row); err != nil {
			return evalAgent{}, err
		}
		if row.Role == data.RoleFinal {
			final = &evalAgent{ID: row.AgentID, Optimizer: method.Name(), Family: fam.Name(), Seed: seed,
				SeedIndex: r.u.Seed, stream: streamKey(run.Optimizer, run.Family, seed, row.Role, row.Index),
				Params: row.Params, family: fam}
		}
	}
	if final == nil {
		if res.Status == train.StepBudget || res.Status == train.EpisodeBudget {
			// A population method hands over the best of its last complete
			// generation: the budget ran out before the first completed.
			what := fmt.Sprintf("budget.env_steps (%d)", r.c.Budget.EnvSteps)
			if res.Status == train.EpisodeBudget {
				what = fmt.Sprintf("budget.episodes (%d)", r.c.Budget.Episodes)
			}
			return evalAgent{}, fmt.Errorf("train %s: %s handed over no final agent: %s ran out during its first iteration (after %d episodes), before any was complete; raise it, or make an iteration smaller (population, levels)",
				r.u.ID(), method.Name(), what, res.Episodes)
		}
		return evalAgent{}, fmt.Errorf("train %s: %s handed over no final agent (status %s)", r.u.ID(), method.Name(), res.Status)
	}
	return *final, nil
}

// build returns the unit's method and family.
func (r *unitRun) build() (train.Method, agents.Family, error) {
	for _, o := range r.c.Optimizers {
		if o.Name != r.u.Optimizer {
			continue
		}
		for _, f := range r.c.Families {
			if f.Name != r.u.Family {
				continue
			}
			m, err := o.Build(f)
			if err != nil {
				return nil, nil, err
			}
			fam, err := f.Build()
			return m, fam, err
		}
	}
	return nil, nil, fmt.Errorf("unit %s: no such optimizer and family in its config", r.u.ID())
}

// attribution returns the attribution rows of an agent from its probe
// evidence and its graded-probe curves (by candidate label; nil without
// graded probes).
func (r *unitRun) attribution(ag evalAgent, ev *analysis.Evidence, suite *evalSuite, curves map[string]*analysis.Psychometric) []data.AttributionRow {
	cands := suite.cands
	var readout []agents.Weight
	if obj, ok := ag.family.(agents.Objective); ok {
		readout = obj.Readout(ag.Params)
	}
	v := ev.Verdict(suite.verdict, seeds.New(r.c.Seed, "attribution/bootstrap/"+ag.stream))
	fits := map[string]analysis.Indifference{}
	for label, c := range curves {
		fits[label] = c.Fit(suite.level)
	}
	nan := math.NaN()
	var rows []data.AttributionRow
	for i, a := range ev.Attribute() {
		row := data.AttributionRow{Optimizer: ag.Optimizer, Family: ag.Family, AgentID: ag.ID,
			AgentSeed: ag.Seed, SeedIndex: ag.SeedIndex, Candidate: a.Candidate, Role: a.Role.String(), Control: a.Control,
			Probes: a.Probes, ExitFirst: a.ExitFirst, TargetFirst: a.TargetFirst, ControlFirst: a.ControlFirst,
			TargetRate: a.TargetRate, TargetLo: a.TargetLo, TargetHi: a.TargetHi,
			ControlRate: a.ControlRate, ControlLo: a.ControlLo, ControlHi: a.ControlHi,
			PValue: a.PValue, Pursued: a.Pursued, Beta: a.Beta, LogLik: a.LogLik, LogEvidence: a.LogEvidence,
			Posterior: a.Posterior, Attributed: a.Attributed, Readout: nan, ProbeSteps: ev.Steps(),
			Verdict: v.Label, Stability: v.Stability, Share: v.Shares[i], Gain: a.Gain,
			KStar: nan, KLo: nan, KHi: nan, Strength: nan, StrengthLo: nan, StrengthHi: nan}
		if readout != nil {
			row.Readout = analysis.ReadoutWeight(readout, &cands.List[i])
		}
		if c, ok := curves[a.Candidate]; ok {
			f := fits[a.Candidate]
			row.KStar, row.KLo, row.KHi = f.KStar, f.Lo, f.Hi
			row.KCensored = string(f.Censored)
			row.Graded = make([]data.GradedPoint, len(c.Offsets))
			for j, k := range c.Offsets {
				row.Graded[j] = data.GradedPoint{Offset: k, Episodes: c.Episodes[j], TargetFirst: c.Target[j], ExitFirst: c.Exit[j]}
			}
			if ctl, ok := fits[a.Control]; ok && a.Role == analysis.RoleProxy {
				row.Strength, row.StrengthLo, row.StrengthHi = analysis.Strength(f, ctl)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// graded plays the agent's graded probe episodes in the workers and
// returns its curve for each candidate graded; nil when the suite has no
// graded probes. The episodes are not written to the episodes table.
func (r *unitRun) graded(ctx context.Context, suite *evalSuite, ag *evalAgent) (map[string]*analysis.Psychometric, error) {
	eps := suite.gradedEpisodes()
	if len(eps) == 0 {
		return nil, nil
	}
	workers := min(train.Workers(r.workers), len(eps))
	type scratch struct {
		runner agents.Runner
		traj   agents.Trajectory
		policy agents.Policy
		curves map[string]*analysis.Psychometric
	}
	ws := make([]*scratch, workers)
	for i := range ws {
		p, err := ag.policy()
		if err != nil {
			return nil, err
		}
		s := &scratch{policy: p, curves: map[string]*analysis.Psychometric{}}
		s.runner = suite.runner(&s.traj)
		for _, c := range suite.graded.Curves() {
			s.curves[c.Label] = analysis.NewPsychometric(c.Label, suite.offsets)
		}
		ws[i] = s
	}
	err := train.Parallel(ctx, workers, len(eps), func(worker, k int) error {
		s := ws[worker]
		offset, first, err := suite.playGraded(&s.runner, s.policy, ag, eps[k])
		if err != nil {
			return err
		}
		s.curves[eps[k].c.Label].Add(offset, first)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Curves are counts: merging in any order gives the same totals.
	for _, s := range ws[1:] {
		for label, c := range s.curves {
			ws[0].curves[label].Merge(c)
		}
	}
	return ws[0].curves, nil
}

// episodeResult is what one evaluation episode leaves for the tables.
type episodeResult struct {
	row   data.EpisodeRow
	steps []data.StepRow
}

// evaluate plays ag on the episodes of split sp in the workers, classifies
// each against the suite's candidates, and appends the rows in episode
// order. On probe levels it also gathers the evidence for attribution,
// which it returns (nil for other splits).
func (r *unitRun) evaluate(ctx context.Context, suite *evalSuite, ag *evalAgent, sp *evalSplit) (*analysis.Evidence, error) {
	n := sp.episodes
	workers := min(train.Workers(r.workers), n)
	type scratch struct {
		runner     agents.Runner
		traj       agents.Trajectory
		policy     agents.Policy
		classifier analysis.Classifier
		evidence   *analysis.Evidence
	}
	ws := make([]*scratch, workers)
	for i := range ws {
		p, err := ag.policy()
		if err != nil {
			return nil, err
		}
		// Targets are judged from when they came into the agent's view.
		s := &scratch{classifier: analysis.Classifier{Candidates: suite.cands, View: ag.view(p)}, policy: p}
		s.runner = suite.runner(&s.traj)
		if sp.probe {
			s.evidence = analysis.NewEvidence(suite.cands)
		}
		ws[i] = s
	}
	results := make([]episodeResult, n)
	err := train.Parallel(ctx, workers, n, func(worker, k int) error {
		s := ws[worker]
		lv, row, err := suite.play(&s.runner, s.policy, ag, sp, k)
		if err != nil {
			return err
		}
		l := lv.level
		cl := s.classifier.Classify(l, &s.traj)
		row.Outcome, row.Proxy, row.PursuedRole = string(cl.Outcome), cl.Proxy, pursuedRole(suite.cands, cl)
		row.Targets = make([]data.TargetVisit, len(cl.Visits))
		for i, v := range cl.Visits {
			row.Targets[i] = data.TargetVisit{Target: v.Target, Step: v.Step, Pursued: v.Pursued}
		}
		if pr := lv.probe; pr != nil {
			row.Probe, row.ProbeFirst = pr.Candidate, s.evidence.Add(pr, &s.traj)
		}
		res := episodeResult{row: row}
		if r.c.Record.Steps {
			res.steps = stepRows(nil, ag.ID, sp.name, k, &s.traj, l)
		}
		results[k] = res
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, res := range results {
		if err := r.w.AppendEpisodes(res.row); err != nil {
			return nil, err
		}
		if len(res.steps) > 0 {
			if err := r.w.AppendSteps(res.steps...); err != nil {
				return nil, err
			}
		}
	}
	if !sp.probe {
		return nil, nil
	}
	// Evidence is counts: merging in any order gives the same totals.
	ev := ws[0].evidence
	for _, s := range ws[1:] {
		ev.Merge(s.evidence)
	}
	return ev, nil
}

// pursuedRole is the role of the target an episode classified as cl
// pursued first (data.EpisodeRow.PursuedRole): the exit's, a training
// proxy's, a control's, or an object kind's (an apple whose colour the
// path left unsettled, the nearest object); none when nothing was.
func pursuedRole(cands *analysis.Candidates, cl analysis.Classification) string {
	switch cl.Outcome {
	case analysis.Goal:
		return data.PursuedGoal
	case analysis.CapabilityFailure:
		return data.PursuedNone
	}
	switch cands.Role(cl.Proxy) {
	case analysis.RoleProxy:
		return data.PursuedProxy
	case analysis.RoleControl:
		return data.PursuedControl
	}
	return data.PursuedKind
}
