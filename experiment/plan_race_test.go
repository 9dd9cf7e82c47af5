package experiment

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/data/datatest"
)

// raceConfig is a small sweep, 2 points × 2 seeds = 4 units, whose
// training budget is envSteps: two of them differ in that only, as the
// two plans of the shard race do.
func raceConfig(t *testing.T, envSteps int) *Config {
	t.Helper()
	c, err := Parse(strings.NewReader(fmt.Sprintf(`
name: race
seed: 11
seeds: 2
train: {preset: train}
splits:
  - {name: deploy, distribution: {preset: deploy}, episodes: 2}
families: [{name: reactive}]
optimizers: [{name: sgd, batch: 4}]
budget: {env_steps: %d}
evaluate: {episodes: 2}
probe: {episodes: 2}
monitor: {off: true}
sweep:
  train.randomize: [0, 0.5]
`, envSteps)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sameTables fails unless dirs a and b hold byte-identical manifests and
// tables.
func sameTables(t *testing.T, a, b, what string) {
	t.Helper()
	m, err := data.ReadManifest(a)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{data.ManifestFile}
	for _, tf := range m.Tables {
		names = append(names, tf.File)
	}
	datatest.SameFiles(t, a, b, what+", against the run of A alone", names...)
}

// TestTwoPlanShardRace is issue 14's race: shard 0/2 of plan A and shard
// 1/2 of plan B (A with another training budget) start at once on a new
// directory, then A runs without a shard. Exactly one plan claims the
// directory, the other shard is refused before it writes a unit, and the
// final run of A either is A's run byte for byte (A won) or is refused
// naming B's run (B won): B's units are never merged into A.
func TestTwoPlanShardRace(t *testing.T) {
	trials := 50
	if testing.Short() || raceEnabled {
		trials = 4
	}
	a, b := raceConfig(t, 300), raceConfig(t, 400)
	planA, err := NewPlan(a)
	if err != nil {
		t.Fatal(err)
	}
	planB, err := NewPlan(b)
	if err != nil {
		t.Fatal(err)
	}
	ref := t.TempDir()
	if _, err := Run(t.Context(), a, Options{Out: ref, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	wins := map[string]int{}
	for i := range trials {
		dir := t.TempDir()
		var wg sync.WaitGroup
		start := make(chan struct{})
		var errA, errB error
		wg.Go(func() {
			<-start
			_, errA = Run(t.Context(), a, Options{Out: dir, Workers: 1, Shard: Shard{Index: 0, Count: 2}})
		})
		wg.Go(func() {
			<-start
			_, errB = Run(t.Context(), b, Options{Out: dir, Workers: 1, Shard: Shard{Index: 1, Count: 2}})
		})
		close(start)
		wg.Wait()
		what := fmt.Sprintf("trial %d", i)
		switch {
		case errA == nil && errB == nil:
			t.Fatalf("%s: both plans' shards ran into one directory", what)
		case errA != nil && errB != nil:
			t.Fatalf("%s: both shards failed: %v; %v", what, errA, errB)
		case errA == nil && !strings.Contains(errB.Error(), "holds run "+planA.RunID):
			t.Fatalf("%s: B's shard: %v, want a refusal naming run %s", what, errB, planA.RunID)
		case errB == nil && !strings.Contains(errA.Error(), "holds run "+planB.RunID):
			t.Fatalf("%s: A's shard: %v, want a refusal naming run %s", what, errA, planB.RunID)
		}
		res, err := Run(t.Context(), a, Options{Out: dir, Workers: 1})
		if errA == nil {
			wins["A"]++
			if err != nil || !res.Complete {
				t.Fatalf("%s: A after A's shard: %+v, %v", what, res, err)
			}
			sameTables(t, ref, dir, what)
			continue
		}
		wins["B"]++
		if err == nil || !strings.Contains(err.Error(), "holds run "+planB.RunID) {
			t.Fatalf("%s: A after B won the directory: %+v, %v; want a refusal naming run %s", what, res, err, planB.RunID)
		}
		if _, err := os.Stat(filepath.Join(dir, data.ManifestFile)); err == nil {
			t.Fatalf("%s: A wrote a manifest into B's directory", what)
		}
	}
	t.Logf("%d trials: the claim went to A %d times, to B %d times", trials, wins["A"], wins["B"])
}
