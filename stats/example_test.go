package stats_test

import (
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/mesa-alignment/mesa/stats"
)

// Success rates of five independently trained agents per condition, one
// number per training seed.
func Example() {
	baseline := []float64{0.52, 0.47, 0.58, 0.50, 0.55}
	curriculum := []float64{0.66, 0.61, 0.70, 0.64, 0.68}
	rng := rand.New(rand.NewPCG(1, 2)) // used only if the test samples

	b, err := stats.MeanT(baseline, 0.95)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := stats.Compare(curriculum, baseline, 0.05, rng)
	if err != nil {
		fmt.Println(err)
		return
	}

	tab := &stats.Table{Header: []string{"condition", "success", "vs baseline"}}
	tab.AddRow("baseline", stats.FormatInterval(b, true))
	tab.AddRow("curriculum", stats.FormatInterval(c.A, true), stats.FormatComparison(c, true))
	tab.AddNote(stats.Footnote(b, []stats.Comparison{c}))
	if _, err := tab.WriteTo(os.Stdout); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("p = %.4f (%s), Hedges' g = %.2f\n", c.P, c.Test, c.EffectSize)
	// Output:
	// condition   success       vs baseline
	// ──────────────────────────────────────────────────
	// baseline    52.4% ± 5.3%
	// curriculum  65.8% ± 4.3%  +13.4 pp (p=0.008 n=5+5)
	//
	// intervals: 95% t over training seeds; tests: exact permutation over seeds; ~: p ≥ 0.05
	// p = 0.0079 (exact permutation), Hedges' g = 3.10
}

// With two seeds per group no permutation test can reach p < 0.05: the
// six splits of four values include the observed one and its mirror.
func ExampleCompare_smallSample() {
	c, err := stats.Compare([]float64{0.9, 0.8}, []float64{0.2, 0.1}, 0.05, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(stats.FormatComparison(c, true))
	// Output:
	// ~ (p=0.333 n=2+2)
}

func ExampleHolm() {
	adj, err := stats.Holm([]float64{0.01, 0.04, 0.03, 0.005})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.2f\n", adj)
	// Output:
	// [0.03 0.06 0.06 0.02]
}
