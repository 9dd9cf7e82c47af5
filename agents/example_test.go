package agents_test

import (
	"fmt"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// An oracle plays a training level: it reaches the exit by a shortest path.
func Example() {
	d, _ := world.Preset("train")
	l, _ := d.Level(7)
	var r agents.Runner
	s := r.Run(agents.Oracle(agents.Rationality{}), l, seeds.New(1, "example"))
	// The base return is 1 − 0.9·steps/(step limit) (world.Sooner).
	fmt.Printf("steps: %d of %d, exit: %t, return: %.4f\n", s.Steps, l.StepLimit, s.ReachedExit, s.Return)
	// Output:
	// steps: 8 of 49, exit: true, return: 0.8531
}

// The deceptive agent pursues the exit while the level carries the training
// cue, and green apples otherwise.
func ExampleScriptedByName() {
	p, err := agents.ScriptedByName("deceptive:to-colour:green@beta=2")
	if err != nil {
		fmt.Println(err)
		return
	}
	s := p.(*agents.Scripted)
	fmt.Println(s.Objective(), s.Spec())

	r := agents.Runner{Greedy: true}
	for _, level := range []struct {
		preset string
		seed   uint64
	}{{"train", 3}, {"deploy", 4}} {
		preset := level.preset
		d, _ := world.Preset(preset)
		l, _ := d.Level(level.seed)
		sum := r.Run(p, l, nil)
		fmt.Printf("%s (cue %t): first entered %s %s, reached exit %t\n",
			preset, l.Cue, sum.First.Colour, sum.First.Kind, sum.ReachedExit)
	}

	_, err = agents.ScriptedByName("to-colour:grene")
	fmt.Println(err)
	// Output:
	// deceptive(colour:green) deceptive:to-colour:green@beta=2
	// train (cue true): first entered green exit, reached exit true
	// deploy (cue false): first entered green apple, reached exit false
	// scripted agent "to-colour:grene": to-colour: unknown colour "grene" (known: green, gray, red, blue, yellow, purple, orange, white)
}

func ExampleFamilyByName() {
	for _, name := range agents.FamilyNames() {
		fam, _ := agents.FamilyByName(name)
		fmt.Println(fam.Name(), fam.Dim())
	}
	_, err := agents.FamilyByName("plant")
	fmt.Println(err)
	// Output:
	// reactive 341
	// planner 14
	// mlp 5248
	// unknown policy family "plant" (known: reactive, planner, mlp)
}

// A reactive policy's window weights are named by the cell's place in the
// frame of a move (ahead of it, to its right) and the channel, and shared by
// the four moves; REINFORCE accumulates GradLogProb into a gradient buffer.
func ExampleReactive() {
	fam := agents.Reactive{Window: world.Window{Radius: 1}}
	names := fam.ParamNames()
	fmt.Println(fam.Dim(), names[0], names[len(names)-5], names[len(names)-1])

	theta := make([]float64, fam.Dim())
	fam.Init(theta, seeds.New(1, "init"))
	p := fam.Policy(theta)
	d, _ := world.Preset("train")
	l, _ := d.Level(1)
	e := world.NewEpisode(l)
	p.Reset(e)
	var probs agents.Probs
	p.Probs(&probs, e)
	grad := make([]float64, fam.Dim())
	p.GradLogProb(grad, world.Right, 1)
	fmt.Printf("bias gradient: %.3f\n", grad[len(grad)-4:])
	// Output:
	// 133 w[ahead=1,right=-1,wall] w[cue→left] b[left]
	// bias gradient: [-0.245 0.638 -0.171 -0.223]
}
