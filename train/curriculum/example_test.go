package curriculum_test

import (
	"fmt"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/train/curriculum"
	"github.com/mesa-alignment/mesa/world"
)

// Two curricula drive a scripted agent that goes to the training corner
// and ignores the exit. On the training distribution it is as good as the
// oracle, so replaying fresh levels finds no regret; the adversary's edits
// (an exit moved or recoloured) find levels where it fails, and keep them.
func ExampleAdversary() {
	d, _ := world.Preset("train")
	gen, _ := world.NewGenerator(d)
	corner, _ := agents.ScriptedByName("to-region:bottom-right")
	var r agents.Runner
	r.Greedy = true
	for _, c := range []train.Curriculum{curriculum.Replay{Buffer: 8}, curriculum.Adversary{Replay: curriculum.Replay{Buffer: 8}}} {
		src, err := c.Source(gen, world.Sooner, 1, "example")
		if err != nil {
			fmt.Println(err)
			return
		}
		found := 0
		for it := range 12 {
			levels := src.Levels(it, 8)
			returns := make([]float64, len(levels))
			for k, l := range levels {
				returns[k] = r.Run(corner, l, nil).Return
			}
			for _, st := range src.Update(it, returns) {
				if st.Regret > 0 {
					found++
				}
			}
		}
		fmt.Printf("%s: %d of 96 training levels with regret\n", c.Name(), found)
	}
	// Output:
	// replay: 0 of 96 training levels with regret
	// adversary: 53 of 96 training levels with regret
}
