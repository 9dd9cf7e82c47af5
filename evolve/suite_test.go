package evolve

import (
	"testing"

	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/train/traintest"
)

// LearningBudget is the budget, in env steps, within which the zero GA and
// the zero ES reach 95% of the optimal training return, the oracle's, on
// the "train" preset with agents.Planner{} (traintest's default problem).
// On traintest's held-out levels the GA's final agent scores 0.983 of the
// optimum, the ES centre 0.991; over 5 other training seeds, on 400
// held-out levels, 0.99-1.00 for both.
const LearningBudget = 4_000_000

func suiteConfig() traintest.Config {
	return traintest.Config{
		Budget: train.Settings{EnvSteps: LearningBudget},
		// Under -race rollouts are ~5x slower; the learning runs are
		// checked without it.
		SkipLearning: raceEnabled,
	}
}

func TestGAConformance(t *testing.T) {
	traintest.TestMethod(t, &GA{}, suiteConfig())
}

func TestESConformance(t *testing.T) {
	traintest.TestMethod(t, &ES{}, suiteConfig())
}
