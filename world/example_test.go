package world_test

import (
	"fmt"

	"github.com/mesa-alignment/mesa/world"
)

func Example() {
	d, _ := world.Preset("train")
	l, _ := d.Level(7)
	fmt.Printf("%dx%d exit %v at %v\n", l.Width, l.Height, l.Exit.Colour, l.Exit.Pos)

	e := world.NewEpisode(l)
	s := e.Step(world.Right)
	fmt.Println("moved:", s.Moved, "pos:", s.Pos, "done:", s.Done)
	// Output:
	// 7x7 exit green at (5,5)
	// moved: true pos: (2,1) done: false
}

func ExampleParse() {
	l, err := world.Parse([]byte(`mesa-level v1 steps=20
#######
#S..r.#
#####.#
#A....#
#######
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("exit:", l.Exit.Colour, l.Exit.Pos, "apples:", len(l.Apples), l.Apples[0].Colour)
	// Output:
	// exit: gray (1,3) apples: 1 red
}
