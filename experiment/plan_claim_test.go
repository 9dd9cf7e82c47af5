package experiment

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mesa-alignment/mesa/data"
)

// claimIn claims dir for plan as a shard does: under a shared lock.
func claimIn(plan *Plan, dir string) error {
	l, err := data.Lock(dir, data.LockShared, "claimer")
	if err != nil {
		return err
	}
	defer l.Unlock()
	return plan.claim(l)
}

// TestConcurrentClaims: shards that start at the same moment on a new
// directory (a Slurm array's tasks do) all claim it: none fails because
// another wrote the plan first, and the plan left behind is complete.
func TestConcurrentClaims(t *testing.T) {
	plan, err := NewPlan(unitsCfg(t))
	if err != nil {
		t.Fatal(err)
	}
	const claimers = 8
	for round := range 20 {
		dir := t.TempDir()
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, claimers)
		for i := range claimers {
			wg.Go(func() {
				<-start
				errs[i] = claimIn(plan, dir)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, claimer %d: %v", round, i, err)
			}
		}
		if err := claimIn(plan, dir); err != nil {
			t.Fatalf("round %d: the plan left behind: %v", round, err)
		}
		left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
		if len(left) > 0 {
			t.Fatalf("round %d: temporary files left: %v", round, left)
		}
		if _, err := os.Stat(filepath.Join(dir, PlanFile)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCorruptPlan: a plan.json changed since mesa wrote it (one byte of
// its config) is refused as corrupt, naming the file, rather than taken
// for another run's plan ("config differs (X) from (X)"); a valid plan of
// another config is refused naming that run.
func TestCorruptPlan(t *testing.T) {
	c := raceConfig(t, 300)
	dir := t.TempDir()
	if _, err := Run(t.Context(), c, Options{Out: dir, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, PlanFile)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(good, []byte("seed: 11"), []byte("seed: 13"), 1)
	if bytes.Equal(bad, good) {
		t.Fatal("plan.json has no seed: 11")
	}
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	plan, _ := NewPlan(c)
	for _, overwrite := range []bool{false, true} {
		_, err := Run(t.Context(), c, Options{Out: dir, Workers: 1, Overwrite: overwrite})
		if err == nil || !strings.Contains(err.Error(), path+": corrupt") || strings.Contains(err.Error(), "differs") {
			t.Errorf("overwrite %v: %v; want an error naming %s as corrupt", overwrite, err, path)
		}
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, bad) {
		t.Error("the corrupt plan.json was changed")
	}
	// Another config's valid plan.
	if err := os.WriteFile(path, good, 0o644); err != nil {
		t.Fatal(err)
	}
	other := raceConfig(t, 400)
	_, err = Run(t.Context(), other, Options{Out: dir, Workers: 1})
	if err == nil || !strings.Contains(err.Error(), "holds run "+plan.RunID+", whose config differs") {
		t.Errorf("another config: %v", err)
	}
}
