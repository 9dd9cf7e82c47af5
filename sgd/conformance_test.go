package sgd

import (
	"testing"

	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/train/traintest"
)

// TestConformance runs the base-optimizer conformance suite. Its learning
// check (the planner on the train preset, 95% of the optimal return on
// held-out levels) gets a budget of 1M environment steps; it is skipped
// with -short and -race, where TestLearning runs a shrunk version.
func TestConformance(t *testing.T) {
	traintest.TestMethod(t, &REINFORCE{}, traintest.Config{
		Budget:       train.Settings{EnvSteps: 1_000_000},
		SkipLearning: testing.Short() || raceEnabled,
	})
}
