package experiment

import (
	"bytes"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/evolve"
	"github.com/mesa-alignment/mesa/sgd"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/train/traintest"
	"github.com/mesa-alignment/mesa/world"
)

// TestZeroOptimizerIsMethodDefault: a config that names a method and sets
// nothing trains exactly as the method's zero value does.
func TestZeroOptimizerIsMethodDefault(t *testing.T) {
	d, _ := world.Preset("train")
	p := &train.Problem{Family: agents.Planner{}, Train: d, Seed: 4}
	for _, tt := range []struct {
		name string
		zero train.Method
	}{
		{"ga", &evolve.GA{}},
		{"es", &evolve.ES{}},
		{"sgd", &sgd.REINFORCE{}},
	} {
		m, err := Optimizer{Name: tt.name}.Build(Family{Name: "planner"})
		if err != nil {
			t.Fatal(err)
		}
		enc := func(m train.Method) []byte {
			rec := &traintest.Recorder{}
			res, err := m.Train(t.Context(), p, &train.Settings{Iterations: 3, Recorder: rec})
			if err != nil {
				t.Fatal(err)
			}
			return traintest.Encode(nil, res, rec.Stats)
		}
		if !bytes.Equal(enc(m), enc(tt.zero)) {
			t.Errorf("%s: config with no settings trains differently from the zero %T", tt.name, tt.zero)
		}
	}
}
