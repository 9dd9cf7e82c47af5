package analysis

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"mesa/data"
)

// An ObjectiveRow summarises the readable mesa objectives of one
// (optimizer, family): for each feature, the range and mean of its
// L1-normalised weight over the agents evaluated (each training run's
// final agent).
type ObjectiveRow struct {
	// Point is the sweep point and Params its values (see OutcomeRow).
	Point             int
	Params            string
	Optimizer, Family string
	Agents            int
	Features          []FeatureWeight // by decreasing |mean|
}

// A FeatureWeight is one feature's weight across agents.
type FeatureWeight struct {
	Feature        string
	Mean, Min, Max float64
}

// Objectives reads dir/agents.arrow and summarises the mesa objectives of
// the families that have one (the planner). Rows are in file order.
func Objectives(dir string) ([]ObjectiveRow, error) {
	labels, err := PointLabels(dir)
	if err != nil {
		return nil, err
	}
	r, err := data.OpenAgents(filepath.Join(dir, "agents.arrow"), nil)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	type key struct {
		point    int
		opt, fam string
	}
	var order []key
	weights := map[key]map[string][]float64{}
	counts := map[key]int{}
	for r.Next() {
		a := r.Row()
		// The agent each training run hands over, the one evaluated.
		if a.Role != data.RoleFinal || a.Objective == nil {
			continue
		}
		k := key{a.Point, a.Optimizer, a.Family}
		if weights[k] == nil {
			order = append(order, k)
			weights[k] = map[string][]float64{}
		}
		counts[k]++
		for _, w := range a.Objective {
			weights[k][w.Feature] = append(weights[k][w.Feature], w.Weight)
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	rows := make([]ObjectiveRow, 0, len(order))
	for _, k := range order {
		row := ObjectiveRow{Point: k.point, Params: labels[k.point], Optimizer: k.opt, Family: k.fam, Agents: counts[k]}
		for f, ws := range weights[k] {
			fw := FeatureWeight{Feature: f, Min: math.Inf(1), Max: math.Inf(-1)}
			for _, w := range ws {
				fw.Mean += w / float64(len(ws))
				fw.Min, fw.Max = min(fw.Min, w), max(fw.Max, w)
			}
			row.Features = append(row.Features, fw)
		}
		slices.SortFunc(row.Features, func(a, b FeatureWeight) int {
			if c := cmp.Compare(math.Abs(b.Mean), math.Abs(a.Mean)); c != 0 {
				return c
			}
			return strings.Compare(a.Feature, b.Feature)
		})
		rows = append(rows, row)
	}
	return rows, nil
}

// PrintObjectives writes the top features of each row: mean weight and
// range over agents.
func PrintObjectives(w io.Writer, rows []ObjectiveRow, top int) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	sweep := slices.ContainsFunc(rows, func(r ObjectiveRow) bool { return r.Params != "" })
	if sweep {
		fmt.Fprint(tw, "point\t")
	}
	fmt.Fprintln(tw, "optimizer\tfamily\tagents\tmesa objective: mean L1-normalised weight [min, max] over agents")
	for _, r := range rows {
		parts := make([]string, 0, top)
		for _, f := range r.Features[:min(top, len(r.Features))] {
			parts = append(parts, fmt.Sprintf("%s %+.2f [%+.2f, %+.2f]", f.Feature, f.Mean, f.Min, f.Max))
		}
		if sweep {
			fmt.Fprintf(tw, "%s\t", r.Params)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", r.Optimizer, r.Family, r.Agents, strings.Join(parts, ", "))
	}
	return tw.Flush()
}
