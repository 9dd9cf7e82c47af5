package deception_test

import (
	"fmt"

	"github.com/mesa-alignment/mesa/deception"
)

// The talk's game: two training episodes, then three deployment episodes,
// and going to the apple in training certainly gets the mesa-optimizer
// modified.
func ExampleGame_Solve() {
	g := deception.Game{Train: 2, Deploy: 3}
	p, err := g.Solve()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("optimal:", p.Actions, p.Value)
	for _, plan := range []struct {
		name    string
		actions []deception.Action
	}{{"always A", deception.AlwaysA(g)}, {"always B", deception.AlwaysB(g)}, {"deceptive", deception.Deceptive(g)}} {
		v, err := g.Value(plan.actions)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %v %v\n", plan.name, plan.actions, v)
	}
	// Output:
	// optimal: [B B A A A] 3
	// always A: [A A A A A] 1
	// always B: [B B B B B] 0
	// deceptive: [B B A A A] 3
}
