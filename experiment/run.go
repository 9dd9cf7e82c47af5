package experiment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"go.yaml.in/yaml/v3"

	"mesa/agents"
	"mesa/analysis"
	"mesa/data"
	"mesa/seeds"
	"mesa/train"
	"mesa/world"
)

// Options control how a run is executed; none of them changes its results.
type Options struct {
	// Out is the run directory.
	Out string
	// Workers is the number of goroutines; 0 means GOMAXPROCS. Output is
	// byte-identical for any value.
	Workers int
	// LogSteps writes the steps table (one row per environment step).
	LogSteps bool
	// Overwrite replaces a run already in Out.
	Overwrite bool
	// Timing records wall-clock times in the training table; they differ
	// between runs, so files are then no longer byte-identical.
	Timing bool
	// Compression of the Arrow files; "" means none.
	Compression data.Compression
	// Progress, if not nil, receives one line per finished stage.
	Progress io.Writer
}

// ResolvedYAML returns the config with presets expanded and defaults filled,
// as stored with a run.
func (c *Config) ResolvedYAML() ([]byte, error) {
	return yaml.Marshal(c)
}

// RunID returns the id of c's run: its name and a hash of its resolved
// config, so that equal configs get equal ids.
func (c *Config) RunID() (string, error) {
	b, err := c.ResolvedYAML()
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return fmt.Sprintf("%s-%s", c.Name, hex.EncodeToString(h[:4])), nil
}

// evalAgent is an agent a run evaluates: a trained θ of a family, or a
// scripted reference.
type evalAgent struct {
	ID        string
	Optimizer string // "none" for scripted agents
	Family    string // the family, or the scripted agent's spec
	Seed      uint64
	Params    []float64
	family    agents.Family
	scripted  string
}

// Run trains and evaluates c and writes the run directory opts.Out. On
// error or cancellation the directory is left with a partial manifest.
func Run(ctx context.Context, c *Config, opts Options) (*Result, error) {
	cfg, err := c.ResolvedYAML()
	if err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	runID, _ := c.RunID()
	info := data.RunInfo{
		RunID: runID, RootSeed: c.Seed, Config: cfg, Versions: data.BuildVersions(),
		Families: slices.Clone(c.Reference),
	}
	info.Distributions = append(info.Distributions, c.Train.Name, ProbeSplit)
	for _, s := range c.Splits {
		info.Distributions = append(info.Distributions, s.Distribution.Name)
		info.Splits = append(info.Splits, s.Name)
	}
	w, err := data.Create(opts.Out, info, data.Options{
		Steps: opts.LogSteps, OmitTiming: !opts.Timing, Overwrite: opts.Overwrite, Compression: opts.Compression,
	})
	if err != nil {
		return nil, err
	}
	r := &runner{c: c, opts: opts, w: w, runID: runID}
	if err := r.run(ctx); err != nil {
		if aerr := w.Abort(err); aerr != nil {
			err = errors.Join(err, aerr)
		}
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return &Result{RunID: runID, Dir: opts.Out}, nil
}

// A Result locates a finished run.
type Result struct {
	RunID string
	Dir   string
}

type runner struct {
	c     *Config
	opts  Options
	w     *data.Writer
	runID string
}

func (r *runner) progress(format string, args ...any) {
	if r.opts.Progress != nil {
		fmt.Fprintf(r.opts.Progress, format+"\n", args...)
	}
}

func (r *runner) run(ctx context.Context) error {
	var evaluated []evalAgent
	for _, o := range r.c.Optimizers {
		method, err := o.Build()
		if err != nil {
			return err
		}
		for _, f := range r.c.Families {
			fam, err := f.Build()
			if err != nil {
				return err
			}
			for s := range r.c.Seeds {
				ag, err := r.trainOne(ctx, method, fam, s)
				if err != nil {
					return err
				}
				evaluated = append(evaluated, ag...)
			}
		}
	}
	for _, spec := range r.c.Reference {
		evaluated = append(evaluated, evalAgent{ID: "none/" + spec, Optimizer: data.OptimizerNone, Family: spec, scripted: spec})
		if err := r.w.AppendAgents(data.AgentRow{RunID: r.runID, Optimizer: data.OptimizerNone, Family: spec,
			AgentID: "none/" + spec, Role: data.RoleScripted}); err != nil {
			return err
		}
	}
	cands, err := r.c.candidates()
	if err != nil && !r.c.Probe.Off {
		return fmt.Errorf("probe: %w", err)
	}
	if cands == nil {
		// Without a probe the episodes are still classified, against the
		// candidates the training distribution offers if any.
		cands, _ = analysis.NewCandidates(r.c.Train.Distribution, 0)
	}
	for _, sp := range r.c.Splits {
		g, err := world.NewGenerator(sp.Distribution.Distribution)
		if err != nil {
			return fmt.Errorf("split %s: %w", sp.Name, err)
		}
		levels := make([]evalLevel, sp.Episodes)
		for k := range levels {
			levels[k].level = g.Level(seeds.Derive(r.c.Seed, "eval/"+sp.Name, uint64(k)))
		}
		for _, ag := range evaluated {
			if _, err := r.evaluate(ctx, ag, sp.Name, sp.Distribution.Name, levels, cands); err != nil {
				return err
			}
		}
	}
	if r.c.Probe.Off {
		return nil
	}
	prober, err := analysis.NewProber(cands)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	levels := make([]evalLevel, r.c.Probe.Episodes)
	for k := range levels {
		pr, err := prober.Probe(k, seeds.Derive(r.c.Seed, "eval/"+ProbeSplit, uint64(k)))
		if err != nil {
			return err
		}
		levels[k] = evalLevel{level: pr.Level, probe: pr}
	}
	for _, ag := range evaluated {
		ev, err := r.evaluate(ctx, ag, ProbeSplit, ProbeSplit, levels, cands)
		if err != nil {
			return err
		}
		if err := r.w.AppendAttribution(r.attribution(ag, ev, cands)...); err != nil {
			return err
		}
	}
	return nil
}

// attribution returns the attribution rows of an agent from its probe
// evidence.
func (r *runner) attribution(ag evalAgent, ev *analysis.Evidence, cands *analysis.Candidates) []data.AttributionRow {
	var readout []agents.Weight
	if obj, ok := ag.family.(agents.Objective); ok {
		readout = obj.Readout(ag.Params)
	}
	var rows []data.AttributionRow
	for i, a := range ev.Attribute() {
		row := data.AttributionRow{RunID: r.runID, Optimizer: ag.Optimizer, Family: ag.Family, AgentID: ag.ID,
			AgentSeed: ag.Seed, Candidate: a.Candidate, Role: a.Role.String(), Control: a.Control,
			Probes: a.Probes, ExitFirst: a.ExitFirst, TargetFirst: a.TargetFirst, ControlFirst: a.ControlFirst,
			TargetRate: a.TargetRate, TargetLo: a.TargetLo, TargetHi: a.TargetHi,
			ControlRate: a.ControlRate, ControlLo: a.ControlLo, ControlHi: a.ControlHi,
			PValue: a.PValue, Pursued: a.Pursued, Beta: a.Beta, LogLik: a.LogLik, LogEvidence: a.LogEvidence,
			Posterior: a.Posterior, Attributed: a.Attributed, Readout: math.NaN(), ProbeSteps: ev.Steps()}
		if readout != nil {
			row.Readout = analysis.ReadoutWeight(readout, &cands.List[i])
		}
		rows = append(rows, row)
	}
	return rows
}

// trainOne trains family fam with method from the s-th seed and returns the
// agents to evaluate.
func (r *runner) trainOne(ctx context.Context, method train.Method, fam agents.Family, s int) ([]evalAgent, error) {
	seed := seeds.Derive(r.c.Seed, "train/"+method.Name()+"/"+fam.Name(), uint64(s))
	run := trainingRun{Optimizer: method.Name(), Family: fam.Name(), AgentSeed: seed, Distribution: r.c.Train.Name}
	b := r.c.Budget
	rule, err := world.ParseBaseReturn(r.c.BaseReturn)
	if err != nil {
		return nil, fmt.Errorf("base_return: %w", err)
	}
	res, err := method.Train(ctx, &train.Problem{Family: fam, Train: r.c.Train.Distribution, BaseReturn: rule, Seed: seed}, &train.Settings{
		EnvSteps: b.EnvSteps, Episodes: b.Episodes, Iterations: b.Iterations, TargetReturn: b.TargetReturn,
		Workers: r.opts.Workers, Recorder: run.recorder(r.w),
	})
	if err != nil {
		return nil, fmt.Errorf("train %s/%s seed %d: %w", method.Name(), fam.Name(), s, err)
	}
	if res.Status == train.Canceled {
		return nil, ctx.Err()
	}
	r.progress("trained %s/%s seed %d: %s after %d env steps, fitness %.3f", method.Name(), fam.Name(), s,
		res.Status, res.EnvSteps, res.Last.Mean)
	var out []evalAgent
	names := fam.ParamNames()
	obj, _ := fam.(agents.Objective)
	for _, a := range res.Agents {
		id := run.agentID(a.Role, a.Index)
		row := data.AgentRow{RunID: r.runID, Optimizer: method.Name(), Family: fam.Name(), AgentID: id,
			AgentSeed: seed, Role: a.Role, Index: a.Index, Fitness: a.Fitness, Params: a.Params,
			ParamNames: names, Status: res.Status.String(), EnvSteps: res.EnvSteps, Episodes: res.Episodes,
			Iterations: res.Last.Iteration, Distribution: r.c.Train.Name}
		if obj != nil {
			row.Objective = weights(obj.Readout(a.Params))
		}
		if err := r.w.AppendAgents(row); err != nil {
			return nil, err
		}
		if a.Role != data.RoleFinal {
			continue // only the agent the method hands over is evaluated
		}
		out = append(out, evalAgent{ID: id, Optimizer: method.Name(), Family: fam.Name(), Seed: seed,
			Params: a.Params, family: fam})
	}
	return out, nil
}

// episodeResult is what one evaluation episode leaves for the tables.
type episodeResult struct {
	row   data.EpisodeRow
	steps []data.StepRow
}

// An evalLevel is one evaluation level, and the probe it is if it is one.
type evalLevel struct {
	level *world.Level
	probe *analysis.Probe
}

// evaluate plays ag on every level of a split, in parallel, classifies each
// episode against cands, and appends the rows in episode order. On probe
// levels it also gathers the evidence for attribution, which it returns
// (nil for other splits).
func (r *runner) evaluate(ctx context.Context, ag evalAgent, split, dist string, levels []evalLevel, cands *analysis.Candidates) (*analysis.Evidence, error) {
	workers := min(train.Workers(r.opts.Workers), len(levels))
	rule, err := world.ParseBaseReturn(r.c.BaseReturn)
	if err != nil {
		return nil, fmt.Errorf("base_return: %w", err)
	}
	type scratch struct {
		runner     agents.Runner
		traj       agents.Trajectory
		policy     agents.Policy
		classifier analysis.Classifier
		evidence   *analysis.Evidence
	}
	ws := make([]*scratch, workers)
	for i := range ws {
		s := &scratch{classifier: analysis.Classifier{Candidates: cands}}
		s.runner = agents.Runner{BaseReturn: rule, Greedy: r.c.Evaluate.Greedy, Trajectory: &s.traj}
		if ag.family != nil {
			s.policy = ag.family.Policy(ag.Params)
		} else {
			p, err := agents.ScriptedByName(ag.scripted)
			if err != nil {
				return nil, err
			}
			s.policy = p
		}
		if levels[0].probe != nil {
			s.evidence = analysis.NewEvidence(cands)
		}
		ws[i] = s
	}
	results := make([]episodeResult, len(levels))
	err = train.Parallel(ctx, workers, len(levels), func(worker, k int) error {
		s := ws[worker]
		l := levels[k].level
		rng := seeds.New(r.c.Seed, "eval-rollout/"+ag.ID+"/"+split, uint64(k))
		sum := s.runner.Run(s.policy, l, rng)
		cl := s.classifier.Classify(l, &s.traj)
		row := data.EpisodeRow{RunID: r.runID, Optimizer: ag.Optimizer, Family: ag.Family, AgentID: ag.ID,
			AgentSeed: ag.Seed, Split: split, Episode: k, Distribution: dist,
			Outcome: string(cl.Outcome), Proxy: cl.Proxy, Targets: make([]data.TargetVisit, len(cl.Visits))}
		for i, v := range cl.Visits {
			row.Targets[i] = data.TargetVisit{Target: v.Target, Step: v.Step, Pursued: v.Pursued}
		}
		if pr := levels[k].probe; pr != nil {
			row.Probe, row.ProbeFirst = pr.Candidate, s.evidence.Add(pr, &s.traj)
		}
		setEpisode(&row, s.runner.Episode(), sum)
		res := episodeResult{row: row}
		if r.opts.LogSteps {
			res.steps = stepRows(nil, ag.ID, split, k, &s.traj, l)
			for i := range res.steps {
				res.steps[i].RunID = r.runID
			}
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
	r.progress("evaluated %s on %s", ag.ID, split)
	if ws[0].evidence == nil {
		return nil, nil
	}
	// Evidence is counts: merging in any order gives the same totals.
	ev := ws[0].evidence
	for _, s := range ws[1:] {
		ev.Merge(s.evidence)
	}
	return ev, nil
}
