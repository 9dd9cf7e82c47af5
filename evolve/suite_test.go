package evolve

import (
	"testing"

	"mesa/train"
	"mesa/train/traintest"
)

// LearningBudget is the budget, in env steps, within which the zero GA and
// the zero ES reach 95% of the optimal training return on the "train"
// preset with agents.Planner{} (traintest's default problem). Measured over
// seeds 1-4 on traintest's held-out levels: the GA's best agent scores
// 0.99-1.00 (0.92-0.97 at 2M), the ES centre 0.97-0.99 (0.95-0.97 at 2M).
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
