package experiment

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/data"
)

// TestConfigMismatchNamesFields: a directory holding a run of another
// config is refused, by a sweep and by its plan, with the fields that
// differ and the --set that reproduces the run's.
func TestConfigMismatchNamesFields(t *testing.T) {
	const small = `
name: mismatch
seed: 5
train: {preset: train}
splits:
  - {name: deploy, distribution: {preset: deploy}, episodes: 4}
families: [{name: planner}]
optimizers: [{name: ga, population: 8, levels: 2}]
budget: {env_steps: 3000}
reference: [oracle]
probe: {off: true}
`
	c, err := ParseWith(strings.NewReader(small), []string{"train.randomize=0.1", "seeds=2"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := Run(t.Context(), c, Options{Out: dir, Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	// The run's manifest holds the config's summary, as reports read it.
	m, err := data.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if sum, err := SummaryOf(m); err != nil || !reflect.DeepEqual(sum, c.Summary()) || sum.Seeds != 2 || sum.Optimizers[0] != "ga" {
		t.Errorf("summary %+v, %v; want %+v", sum, err, c.Summary())
	}
	other, err := ParseWith(strings.NewReader(small), []string{"train.randomize=0.2", "seeds=2", "reference=[oracle, random]"})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := NewPlan(other)
	if err != nil {
		t.Fatal(err)
	}
	same, err := NewPlan(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := same.Check(dir); err != nil {
		t.Errorf("the run's own plan: %v", err)
	}
	err = plan.Check(dir)
	var me *ConfigMismatchError
	if !errors.As(err, &me) {
		t.Fatalf("Check: %v, want a ConfigMismatchError", err)
	}
	paths := map[string]FieldDiff{}
	for _, f := range me.Fields {
		paths[f.Path] = f
	}
	if f := paths["train.randomize"]; f.Run != "0.1" || f.Here != "0.2" {
		t.Errorf("train.randomize: %+v (fields %+v)", f, me.Fields)
	}
	if _, ok := paths["reference"]; !ok {
		t.Errorf("reference not named: %+v", me.Fields)
	}
	for _, want := range []string{"train.randomize: 0.1 there, 0.2 here", "--set train.randomize=0.1", "--overwrite"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q: %s", want, err)
		}
	}
	t.Log(err)
	_, err = Run(t.Context(), other, Options{Out: dir})
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "train.randomize: 0.1 there, 0.2 here") {
		t.Errorf("Run into the directory: %v", err)
	}
}
