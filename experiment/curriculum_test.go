package experiment

import (
	"math"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/data/datatest"
	"github.com/mesa-alignment/mesa/train/curriculum"
)

func TestCurriculumConfig(t *testing.T) {
	c, err := ParseWith(strings.NewReader(base), []string{"train.curriculum={name: adversary, buffer: 64, edits: 2}"})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := c.Train.Curriculum.Build()
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := cur.(curriculum.Adversary); !ok || a.Buffer != 64 || a.Edits != 2 {
		t.Errorf("built %#v, want an adversary with buffer 64 and 2 edits", cur)
	}
	// The zero curriculum is random and stays out of the resolved YAML,
	// so that configs without one resolve as before.
	c, err = Parse(strings.NewReader(base))
	if err != nil {
		t.Fatal(err)
	}
	if cur, err := c.Train.Curriculum.Build(); err != nil || cur.Name() != CurriculumRandom {
		t.Errorf("default curriculum %v, %v; want random", cur, err)
	}
	if b, err := c.ResolvedYAML(); err != nil || strings.Contains(string(b), "curriculum") {
		t.Errorf("resolved YAML of a config without a curriculum mentions one (%v):\n%s", err, b)
	}
	for _, tt := range []struct {
		set  []string
		want string
	}{
		{[]string{"train.curriculum.name=prl"}, `config: train.curriculum.name: unknown curriculum "prl"`},
		{[]string{"train.curriculum={name: replay, buffer: -1}"}, `config: train.curriculum.buffer: -1 out of range`},
		{[]string{"train.curriculum={name: replay, edits: 2}"}, `config: train.curriculum: edit and edits apply to the adversary`},
		{[]string{"train.curriculum={buffer: 8}"}, `config: train.curriculum: settings given for the random curriculum`},
		{[]string{"train.curriculum={name: adversary, edit: 2}"}, `config: train.curriculum.edit: 2 out of range`},
		{[]string{"splits[0].distribution.curriculum.name=replay"}, `config: splits[0].distribution.curriculum: only the training distribution`},
		{[]string{"train.curriculum.name=replay", "optimizers[0]={name: sgd, level_pool: 8}"},
			`config: optimizers[0].level_pool: a fixed pool of training levels does not combine with train.curriculum replay`},
	} {
		_, err := ParseWith(strings.NewReader(base), tt.set)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("--set %v: %v, want prefix %q", tt.set, err, tt.want)
		}
	}
}

// TestCurriculumRunSameBytesAnyWorkers: a run whose config names a
// curriculum writes curriculum.arrow, and every file is byte-identical
// for any number of workers; the table holds the checkpoint iterations'
// levels of every trained agent, scored by regret = oracle − return.
func TestCurriculumRunSameBytesAnyWorkers(t *testing.T) {
	c := smoke(t)
	c.Train.Curriculum = Curriculum{Name: CurriculumAdversary, Buffer: 8}
	if err := c.Resolve(); err != nil {
		t.Fatal(err)
	}
	dirs := []string{t.TempDir(), t.TempDir()}
	for i, w := range []int{1, 3} {
		if _, err := Run(t.Context(), c, Options{Out: dirs[i], Workers: w, Overwrite: true}); err != nil {
			t.Fatal(err)
		}
	}
	datatest.SameFiles(t, dirs[0], dirs[1], "1 and 3 workers", "manifest.json", "training.arrow", "agents.arrow", "curriculum.arrow")
	r, err := data.OpenRun(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rd, err := r.Curriculum(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	agents := map[uint64]bool{}
	for rd.Next() {
		row := rd.Row()
		agents[row.AgentSeed] = true
		if row.Curriculum != CurriculumAdversary || math.Abs(row.Regret-(row.Oracle-row.Return)) > 1e-12 {
			t.Fatalf("row %+v", row)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	if want := len(c.Optimizers) * len(c.Families) * c.Seeds; len(agents) != want {
		t.Errorf("levels of %d training runs, want %d", len(agents), want)
	}
}
