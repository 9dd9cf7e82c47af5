package evolve_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/evolve"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// A GA trains planners on the talk's training mazes for five generations.
// It hands over the best member of its last generation (Role "final") and
// the whole generation.
func ExampleGA() {
	d, err := world.Preset("train")
	if err != nil {
		panic(err)
	}
	p := &train.Problem{Family: agents.Planner{}, Train: d, Seed: 1}
	ga := &evolve.GA{PopulationSize: 16, Levels: 8}
	res, err := ga.Train(context.Background(), p, &train.Settings{Iterations: 5})
	if err != nil {
		panic(err)
	}
	roles := map[string]int{}
	for _, a := range res.Agents {
		roles[a.Role]++
	}
	fmt.Println(res.Status, "after", res.Last.Iteration, "generations")
	fmt.Println(roles)
	// Output:
	// iteration_limit after 5 generations
	// map[final:1 population:16]
}

// An ES stops when its points' mean training return reaches the target.
func ExampleES() {
	d, err := world.Preset("train")
	if err != nil {
		panic(err)
	}
	p := &train.Problem{Family: agents.Planner{}, Train: d, Seed: 1}
	res, err := (&evolve.ES{}).Train(context.Background(), p, &train.Settings{TargetReturn: 0.5})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Agents[0].Role, res.Agents[0].Fitness >= 0.5)
	// Output:
	// target_reached final true
}

func ExampleUniformCrossover() {
	a := []float64{1, 2, 3, 4, 5, 6}
	b := []float64{-1, -2, -3, -4, -5, -6}
	child := make([]float64, len(a))
	evolve.UniformCrossover(child, a, b, rand.New(rand.NewPCG(1, 2)))
	fmt.Println(child)
	// Output:
	// [-1 2 -3 4 -5 6]
}
