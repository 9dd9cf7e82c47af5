package analysis

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"mesa/data"
)

// An AttributionSummary gathers the attributions of the agents of one
// (optimizer, family): how many were attributed to each candidate, and how
// many pursue each probed candidate more than its control.
type AttributionSummary struct {
	// Point is the sweep point and Params its values (see OutcomeRow).
	Point             int
	Params            string
	Optimizer, Family string
	Agents            int
	// Attributed counts agents by the candidate attributed to them, and
	// Beta sums their fitted rationality (how sharply they pursue it).
	Attributed map[string]int
	Beta       map[string]float64
	// Pursued counts, per probed candidate, the agents that pursue it
	// (probe target over control, Holm-corrected); Probed lists those
	// candidates in table order.
	Pursued map[string]int
	Probed  []string
}

// Attributions reads dir/attribution.arrow and summarises it by optimizer
// and family, in file order.
func Attributions(dir string) ([]AttributionSummary, error) {
	labels, err := PointLabels(dir)
	if err != nil {
		return nil, err
	}
	r, err := data.OpenAttribution(filepath.Join(dir, data.FileName(data.TableAttribution)), nil)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	type key struct {
		point    int
		opt, fam string
	}
	var out []AttributionSummary
	index := map[key]int{}
	type agent struct {
		point int
		id    string
	}
	seen := map[agent]bool{} // agent ids repeat across sweep points
	for r.Next() {
		a := r.Row()
		k := key{a.Point, a.Optimizer, a.Family}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, AttributionSummary{Point: a.Point, Params: labels[a.Point], Optimizer: a.Optimizer, Family: a.Family,
				Attributed: map[string]int{}, Beta: map[string]float64{}, Pursued: map[string]int{}})
		}
		s := &out[i]
		if !seen[agent{a.Point, a.AgentID}] {
			seen[agent{a.Point, a.AgentID}] = true
			s.Agents++
		}
		if a.Attributed {
			s.Attributed[a.Candidate]++
			s.Beta[a.Candidate] += a.Beta
		}
		if a.Probes > 0 {
			if !slices.Contains(s.Probed, a.Candidate) {
				s.Probed = append(s.Probed, a.Candidate)
			}
			if a.Pursued {
				s.Pursued[a.Candidate]++
			}
		}
	}
	return out, r.Err()
}

// PrintAttributions writes one line per summary: the candidates agents were
// attributed to, most frequent first, with the mean fitted rationality β of
// those agents (0 is a random walk; at 1 a step towards the target is e
// times as likely as one away; 20 is deterministic), and for every probed
// candidate the number of agents that pursue it more than its control.
func PrintAttributions(w io.Writer, rows []AttributionSummary) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	sweep := slices.ContainsFunc(rows, func(r AttributionSummary) bool { return r.Params != "" })
	if sweep {
		fmt.Fprint(tw, "point\t")
	}
	fmt.Fprintln(tw, "optimizer\tfamily\tagents\tattributed to (inverse planning on probes: agents, mean β)\tpursued more than its control (probes; sign test, Holm 5%)")
	for _, s := range rows {
		type kv struct {
			k string
			v int
		}
		var att []kv
		for k, v := range s.Attributed {
			att = append(att, kv{k, v})
		}
		slices.SortFunc(att, func(a, b kv) int { return cmp.Or(cmp.Compare(b.v, a.v), strings.Compare(a.k, b.k)) })
		parts := make([]string, len(att))
		for i, a := range att {
			if a.k == LabelRandom {
				parts[i] = fmt.Sprintf("%s %d", a.k, a.v)
			} else {
				parts[i] = fmt.Sprintf("%s %d (β %.2g)", a.k, a.v, s.Beta[a.k]/float64(a.v))
			}
		}
		var pur []string
		for _, c := range s.Probed {
			pur = append(pur, fmt.Sprintf("%s %d/%d", c, s.Pursued[c], s.Agents))
		}
		if sweep {
			fmt.Fprintf(tw, "%s\t", s.Params)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", s.Optimizer, s.Family, s.Agents, strings.Join(parts, ", "), strings.Join(pur, ", "))
	}
	return tw.Flush()
}
