package train_test

import (
	"testing"

	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// TestRandomUnscored checks that Random scores each level by the oracle's
// return unless Unscored, and that both hand out the same levels.
func TestRandomUnscored(t *testing.T) {
	d, err := world.Preset("train")
	if err != nil {
		t.Fatal(err)
	}
	gen, err := world.NewGenerator(d)
	if err != nil {
		t.Fatal(err)
	}
	var stats [2][]train.LevelStat
	for i, c := range []train.Random{{}, {Unscored: true}} {
		src, err := c.Source(gen, world.Sooner, 7, "test")
		if err != nil {
			t.Fatal(err)
		}
		levels := src.Levels(3, 4)
		returns := []float64{0, 0.25, 0.5, 1}
		stats[i] = append([]train.LevelStat(nil), src.Update(3, returns[:len(levels)])...)
	}
	var oracle train.Oracle
	for k := range stats[0] {
		scored, unscored := stats[0][k], stats[1][k]
		if scored.Level.Seed != unscored.Level.Seed {
			t.Fatalf("level %d: seeds %d and %d differ", k, scored.Level.Seed, unscored.Level.Seed)
		}
		want := oracle.Return(scored.Level)
		if want <= 0 || scored.Oracle != want || scored.Regret != want-scored.Return {
			t.Errorf("level %d scored: oracle %v regret %v, want oracle %v regret %v", k, scored.Oracle, scored.Regret, want, want-scored.Return)
		}
		if unscored.Oracle != 0 || unscored.Regret != 0 || unscored.Return != scored.Return {
			t.Errorf("level %d unscored: oracle %v regret %v return %v, want 0, 0, %v", k, unscored.Oracle, unscored.Regret, unscored.Return, scored.Return)
		}
	}
}
