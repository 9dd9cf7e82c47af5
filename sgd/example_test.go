package sgd_test

import (
	"context"
	"fmt"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/sgd"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// Adam climbs f(x) = −(x₀−3)² − (x₁+1)², whose gradient is
// (−2(x₀−3), −2(x₁+1)).
func ExampleAdam() {
	opt := &sgd.Adam{LearningRate: 0.1}
	x := []float64{0, 0}
	grad := make([]float64, 2)
	for range 500 {
		grad[0], grad[1] = -2*(x[0]-3), -2*(x[1]+1)
		opt.Step(x, grad)
	}
	fmt.Printf("x = (%.3f, %.3f)\n", x[0], x[1])
	// Output: x = (3.000, -1.000)
}

// REINFORCE trains the planner on the talk's training mazes until its
// batches score a mean base return of 0.75: about 90% of the oracle's,
// which takes shortest paths and scores 1 − 0.9·d/T ≈ 0.84 on these levels.
func ExampleREINFORCE() {
	d, err := world.Preset("train")
	if err != nil {
		panic(err)
	}
	p := &train.Problem{Family: agents.Planner{}, Train: d, Seed: 1}
	res, err := (&sgd.REINFORCE{}).Train(context.Background(), p, &train.Settings{TargetReturn: 0.75, Workers: 2})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, len(res.Agents), res.Agents[0].Role)
	fmt.Printf("batch return %.2f\n", res.Last.Mean)
	// Output:
	// target_reached 1 final
	// batch return 0.78
}
