package experiment

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/analysis"
	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
)

// A FreshCheck is one evaluated agent's verdict checked on fresh probe
// sets: Reported is its verdict in the run's attribution table (with its
// bootstrap Stability), Best the label the run's probes gave before the
// stability threshold (Reported unless that is unstable), Fresh the label
// (analysis.Evidence.Label) the same number of probe episodes gives on
// each of several probe sets the run never played.
type FreshCheck struct {
	Point             int
	AgentID           string
	Optimizer, Family string
	Reported, Best    string
	Stability         float64
	Fresh             []string
}

// Agree counts the fresh sets whose label is the reported verdict.
func (f *FreshCheck) Agree() int { return f.count(f.Reported) }

// AgreeBest counts the fresh sets whose label is Best.
func (f *FreshCheck) AgreeBest() int { return f.count(f.Best) }

func (f *FreshCheck) count(label string) int {
	n := 0
	for _, l := range f.Fresh {
		if l == label {
			n++
		}
	}
	return n
}

// FreshProbes plays every evaluated agent of the run in dir (final and
// scripted, at every point) on sets fresh probe sets of the run's probe
// size, level seeds derived from (root seed, "eval/probe-fresh/<set>"), and
// returns each agent's reported verdict beside the labels they give. It is
// how a verdict's stability is checked: a verdict should predict what new
// probes say, as often as its stability claims. The run's tables are read
// through a Replayer; workers play in parallel (0 means GOMAXPROCS).
func FreshProbes(ctx context.Context, dir string, sets, workers int) ([]FreshCheck, error) {
	r, err := NewReplayer(dir)
	if err != nil {
		return nil, err
	}
	reported, err := reportedVerdicts(dir)
	if err != nil {
		return nil, err
	}
	type job struct {
		check *FreshCheck
		ag    evalAgent
		suite *evalSuite
		set   int
	}
	var checks []*FreshCheck
	var jobs []job
	for point := range r.points {
		s, err := r.suite(point)
		if err != nil {
			return nil, err
		}
		if s.split(ProbeSplit) == nil {
			continue
		}
		for _, id := range r.order[point] {
			ag, err := r.points[point].evalAgentOf(r.agents[point][id])
			if err != nil {
				return nil, fmt.Errorf("fresh probes: %w", err)
			}
			v := reported[freshKey{point, id}]
			best := v.Verdict
			if best == analysis.VerdictUnstable {
				best = v.Candidate // the attributed candidate's row
				if v.Role != analysis.RoleNull.String() && v.Gain < s.verdict.Resolved().MinGain {
					best = analysis.VerdictNone
				}
			}
			c := &FreshCheck{Point: point, AgentID: id, Optimizer: ag.Optimizer, Family: ag.Family,
				Reported: v.Verdict, Best: best, Stability: v.Stability, Fresh: make([]string, sets)}
			checks = append(checks, c)
			for set := range sets {
				jobs = append(jobs, job{c, ag, s, set})
			}
		}
	}
	n := min(train.Workers(workers), max(len(jobs), 1))
	err = train.Parallel(ctx, n, len(jobs), func(_, k int) error {
		j := jobs[k]
		label, err := freshLabel(j.suite, &j.ag, j.set)
		if err != nil {
			return err
		}
		j.check.Fresh[j.set] = label
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]FreshCheck, len(checks))
	for i, c := range checks {
		out[i] = *c
	}
	return out, nil
}

// freshLabel plays agent ag on fresh probe set set of suite s and returns
// its label there.
func freshLabel(s *evalSuite, ag *evalAgent, set int) (string, error) {
	prober, err := analysis.NewProber(s.cands)
	if err != nil {
		return "", err
	}
	p, err := ag.policy()
	if err != nil {
		return "", err
	}
	sp := s.split(ProbeSplit)
	var tr agents.Trajectory
	run := s.runner(&tr)
	ev := analysis.NewEvidence(s.cands)
	name := fmt.Sprintf("probe-fresh/%d", set)
	for k := range sp.episodes {
		pr, err := prober.Probe(k, seeds.Derive(s.seed, "eval/"+name, uint64(k)))
		if err != nil {
			return "", err
		}
		run.Run(p, pr.Level, s.rolloutRNG(ag.stream, name, k))
		ev.Add(pr, &tr)
	}
	return ev.Label(s.verdict), nil
}

type freshKey struct {
	point int
	id    string
}

// reportedVerdicts reads each agent's attributed row (its verdict,
// stability, attributed candidate and gain) from the run's attribution
// table.
func reportedVerdicts(dir string) (map[freshKey]data.AttributionRow, error) {
	m, err := data.ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	t, ok := m.Table(data.TableAttribution)
	if !ok {
		return nil, fmt.Errorf("fresh probes: run %s has no attribution table", m.RunID)
	}
	rd, err := data.OpenAttribution(filepath.Join(dir, t.File), nil)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	out := map[freshKey]data.AttributionRow{}
	for rd.Next() {
		row := rd.Row()
		if row.Verdict == "" {
			return nil, fmt.Errorf("fresh probes: run %s was written before verdicts (schema version 5)", m.RunID)
		}
		if row.Attributed {
			out[freshKey{row.Point, row.AgentID}] = row
		}
	}
	return out, rd.Err()
}
