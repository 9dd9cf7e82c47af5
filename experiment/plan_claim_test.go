package experiment

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"mesa/data"
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
