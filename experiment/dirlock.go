package experiment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lockDir takes the lock of a run directory, exclusive or shared, and
// returns its release. Interim: the data package's lock replaces it.
func lockDir(dir string, exclusive bool, holder string) (func(), error) {
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		b, _ := os.ReadFile(path)
		f.Close()
		return nil, fmt.Errorf("%s is being written by %s", dir, strings.TrimSpace(string(b)))
	}
	host, _ := os.Hostname()
	_ = f.Truncate(0)
	fmt.Fprintf(f, "pid %d on host %s (%s) since %s\n", os.Getpid(), host, holder, time.Now().UTC().Format(time.RFC3339))
	return func() { _ = f.Close() }, nil
}

// removeRun removes a run directory's derived files. Interim: the data
// package's RemoveRun replaces it.
func removeRun(dir string) error {
	for _, n := range []string{"manifest.json", PlanFile, unitsDir, mergeDir, "parquet", "csv", "report",
		"episodes.arrow", "training.arrow", "agents.arrow", "attribution.arrow", "steps.arrow"} {
		if err := os.RemoveAll(filepath.Join(dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}
