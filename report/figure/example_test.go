package figure_test

import (
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/mesa-alignment/mesa/report/figure"
)

// A sweep curve with 95% intervals over training seeds, saved as an
// 800×500 PNG.
func Example() {
	nan := math.NaN()
	series := []figure.Series{
		{Label: "SGD", X: []float64{0, 0.25, 0.5}, Y: []figure.Interval{{0.9, 0.85, 0.95}, {0.8, 0.72, 0.86}, {0.6, 0.5, 0.7}}},
		{Label: "GA (1 seed)", X: []float64{0, 0.25, 0.5}, Y: []figure.Interval{{0.7, nan, nan}, {0.6, nan, nan}, {0.5, nan, nan}}},
	}
	p, err := figure.Lines("Exit-reaching rate vs. exit randomization", "randomization probability", "share of episodes", series)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "figure")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := figure.Save(p, filepath.Join(dir, "sweep.png")); err != nil {
		log.Fatal(err)
	}
	fmt.Println("saved")

	_, err = figure.Lines("empty", "x", "y", nil)
	fmt.Println(err)
	// Output:
	// saved
	// figure: Lines "empty": no series: figure: nothing to draw
}
