package figure_test

import (
	"bytes"
	"fmt"
	"log"
	"math"

	"github.com/mesa-alignment/mesa/report/figure"
)

// A sweep curve with 95% intervals over training seeds, drawn as an
// 800×500 PNG. mesa writes figures into its outputs through data's
// atomic writers (report.Write), never by path from here.
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
	var png bytes.Buffer
	if err := figure.WritePNG(&png, p, figure.Width, figure.Height); err != nil {
		log.Fatal(err)
	}
	fmt.Println(bytes.HasPrefix(png.Bytes(), []byte("\x89PNG")))

	_, err = figure.Lines("empty", "x", "y", nil)
	fmt.Println(err)
	// Output:
	// true
	// figure: Lines "empty": no series: figure: nothing to draw
}
