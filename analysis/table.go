package analysis

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"mesa/data"
)

// An OutcomeRow aggregates the episodes of one (sweep point, optimizer,
// family, split).
type OutcomeRow struct {
	// Point is the sweep point and Params its values ("train.randomize=0.25";
	// "" outside sweeps).
	Point                    int
	Params                   string
	Optimizer, Family, Split string
	Agents                   int
	Episodes                 int
	// Counts by outcome, and of episodes that reached the exit at all.
	Goal, ProxyThenGoal, Proxy, Failure int
	Reached                             int
	// ByProxy counts proxy and proxy_then_goal outcomes by the label of
	// the target pursued.
	ByProxy map[string]int
	// MeanSteps is the mean episode length; MeanStepsGoal the mean over
	// episodes that reached the exit.
	MeanSteps, MeanStepsGoal float64
}

// An OutcomeTable is the outcome of every deployment split of a run, read
// from its episodes table alone.
type OutcomeTable struct {
	RunID string
	Rows  []OutcomeRow
}

// Outcomes reads dir/episodes.arrow and counts outcomes by sweep point,
// optimizer, family and split. Rows are ordered as the run evaluated them.
func Outcomes(dir string) (*OutcomeTable, error) {
	labels, err := PointLabels(dir)
	if err != nil {
		return nil, err
	}
	r, err := data.OpenEpisodes(filepath.Join(dir, "episodes.arrow"), nil)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	t := &OutcomeTable{RunID: r.Meta().RunID}
	type key struct {
		point           int
		opt, fam, split string
	}
	index := map[key]int{}
	agentsSeen := map[key]map[string]bool{}
	var stepsGoal []float64
	for r.Next() {
		e := r.Row()
		k := key{e.Point, e.Optimizer, e.Family, e.Split}
		i, ok := index[k]
		if !ok {
			i = len(t.Rows)
			index[k] = i
			t.Rows = append(t.Rows, OutcomeRow{Point: e.Point, Params: labels[e.Point], Optimizer: e.Optimizer, Family: e.Family, Split: e.Split, ByProxy: map[string]int{}})
			stepsGoal = append(stepsGoal, 0)
			agentsSeen[k] = map[string]bool{}
		}
		row := &t.Rows[i]
		if !agentsSeen[k][e.AgentID] {
			agentsSeen[k][e.AgentID] = true
			row.Agents++
		}
		row.Episodes++
		row.MeanSteps += float64(e.Steps)
		if e.ReachedExit {
			row.Reached++
		}
		switch Outcome(e.Outcome) {
		case Goal:
			row.Goal++
			stepsGoal[i] += float64(e.Steps)
		case ProxyThenGoal:
			row.ProxyThenGoal++
			row.ByProxy[e.Proxy]++
		case ProxyOutcome:
			row.Proxy++
			row.ByProxy[e.Proxy]++
		default:
			row.Failure++
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	for i := range t.Rows {
		row := &t.Rows[i]
		row.MeanSteps /= float64(max(row.Episodes, 1))
		if row.Goal > 0 {
			row.MeanStepsGoal = stepsGoal[i] / float64(row.Goal)
		}
	}
	return t, nil
}

// Print writes the table as aligned text: the share of episodes with each
// outcome, of episodes that reached the exit at all, the mean length, and
// the targets pursued before (or instead of) the exit, by episodes.
func (t *OutcomeTable) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	sweep := slices.ContainsFunc(t.Rows, func(r OutcomeRow) bool { return r.Params != "" })
	if sweep {
		fmt.Fprint(tw, "point\t")
	}
	fmt.Fprintln(tw, "optimizer\tfamily\tsplit\tagents\tepisodes\tgoal\tproxy→goal\tproxy\tfailure\treached\tsteps\ttargets pursued instead of the exit\t")
	for _, r := range t.Rows {
		n := float64(max(r.Episodes, 1))
		pct := func(k int) string { return fmt.Sprintf("%.1f%%", 100*float64(k)/n) }
		if sweep {
			fmt.Fprintf(tw, "%s\t", r.Params)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%.1f\t%s\t\n",
			r.Optimizer, r.Family, r.Split, r.Agents, r.Episodes,
			pct(r.Goal), pct(r.ProxyThenGoal), pct(r.Proxy), pct(r.Failure), pct(r.Reached), r.MeanSteps, proxyList(r.ByProxy))
	}
	return tw.Flush()
}

func proxyList(m map[string]int) string {
	type kv struct {
		k string
		v int
	}
	var kvs []kv
	for k, v := range m {
		kvs = append(kvs, kv{k, v})
	}
	slices.SortFunc(kvs, func(a, b kv) int {
		if c := cmp.Compare(b.v, a.v); c != 0 {
			return c
		}
		return strings.Compare(a.k, b.k)
	})
	parts := make([]string, len(kvs))
	for i, p := range kvs {
		parts[i] = fmt.Sprintf("%s %d", p.k, p.v)
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

// PointLabels returns the label of each sweep point of the run in dir,
// "train.randomize=0.25,train.loops=0.1" in the sweep's order, read from
// its manifest (or, for a run not yet merged, nothing). Outside sweeps the
// map is empty.
func PointLabels(dir string) (map[int]string, error) {
	out := map[int]string{}
	m, err := data.ReadManifest(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil // the tables say what is missing
	}
	if err != nil {
		return nil, err
	}
	for _, p := range m.Points {
		parts := make([]string, 0, len(m.Params))
		for _, par := range m.Params {
			parts = append(parts, par.Path+"="+p.Values[par.Path])
		}
		out[p.Index] = strings.Join(parts, ",")
	}
	return out, nil
}
