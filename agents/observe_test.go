package agents

import (
	"math"
	"testing"

	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// TestSparseObsIsDenseNonzeros: the sparse observation of a window lists,
// in order and bit for bit, the non-zero entries of the dense observation
// world.Window.Observe writes, at every step of random walks through
// training, deployment and cued levels of several sizes (window cells off
// the map, visits up to saturation, apples eaten), for every radius.
func TestSparseObsIsDenseNonzeros(t *testing.T) {
	var levels []*world.Level
	for _, preset := range []string{"train", "deploy"} {
		d, err := world.Preset(preset)
		if err != nil {
			t.Fatal(err)
		}
		d.Cue = preset == "deploy"
		if preset == "deploy" { // not square: the global x and y differ
			d.Height = world.IntRange{Min: 9, Max: 13}
		}
		d.Apples.Count = world.IntRange{Min: 1, Max: 4}
		gen, err := world.NewGenerator(d)
		if err != nil {
			t.Fatal(err)
		}
		for s := range uint64(12) {
			levels = append(levels, gen.Level(s))
		}
	}
	rng := seeds.New(1, "test/sparse-obs")
	for _, radius := range []int{1, 2, 3, 5} {
		w := world.Window{Radius: radius}
		o := newSparseObs(w)
		dense := make([]float64, w.Len())
		for i, l := range levels {
			e := world.NewEpisode(l)
			for !e.Done() {
				o.observe(e)
				w.Observe(dense, e, nil)
				k := 0
				for j, v := range dense {
					if v == 0 {
						continue
					}
					if k >= len(o.idx) || int(o.idx[k]) != j || math.Float64bits(o.val[k]) != math.Float64bits(v) {
						t.Fatalf("radius %d, level %d, step %d: sparse entry %d is not dense entry %d = %v:\nidx %v\nval %v",
							radius, i, e.Steps(), k, j, v, o.idx, o.val)
					}
					k++
				}
				if k != len(o.idx) || len(o.val) != len(o.idx) {
					t.Fatalf("radius %d, level %d, step %d: %d sparse entries (%d values), %d non-zero dense ones",
						radius, i, e.Steps(), len(o.idx), len(o.val), k)
				}
				e.Step(world.Action(rng.IntN(world.NumActions)))
			}
		}
	}
}
