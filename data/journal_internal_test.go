package data

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// die leaves l as a killed process does: its files closed, nothing
// removed, its flocks gone with them.
func die(l *DirLock) {
	l.holder.Close()
	l.lock.Close()
	l.root.Close()
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestJournalOfADeadHolder: what a holder journaled and left when it died
// (a plan being claimed, a unit being written) keeps the directory empty
// to CheckRunDir, and the next holder removes it, and nothing else.
func TestJournalOfADeadHolder(t *testing.T) {
	dir := t.TempDir()
	l, err := Lock(dir, LockShared, "dies")
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := l.journal("", ".plan.json.tmp-")
	if err != nil {
		t.Fatal(err)
	}
	f, err := createExcl(l.root, tmp)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	die(l)
	if err := CheckRunDir(dir); err != nil {
		t.Fatalf("a dead holder's plan temporary: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "lock.old"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckRunDir(dir); err == nil || !strings.Contains(err.Error(), "it holds lock.old, which is not mesa's") {
		t.Fatalf("with a user's file: %v", err)
	}

	// A second holder dies while writing a unit, after the plan.
	l, err = Lock(dir, LockShared, "dies too")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.ClaimPlan(NewRunPlan("r", []byte("c"), []string{"u"})); err != nil {
		t.Fatal(err)
	}
	w, err := l.CreateUnit("u", RunInfo{RunID: "r"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AppendEpisodes(EpisodeRow{Optimizer: "ga", Family: "planner", Split: "train", ExitColour: "green"}); err != nil {
		t.Fatal(err)
	}
	die(l)
	left := dirNames(t, dir)
	if !slices.ContainsFunc(left, func(n string) bool { return strings.HasPrefix(n, "units/.tmp-u-") }) {
		t.Fatalf("no unit temporary in %v", left)
	}
	l, err = Lock(dir, LockExclusive, "next")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	want := []string{"lock", filepath.Base(l.path), "lock.old", "plan.json", "units"}
	slices.Sort(want)
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("after the next lock: %v, want %v", got, want)
	}
}
