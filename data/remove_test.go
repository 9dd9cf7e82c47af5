package data_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"mesa/data"
)

// mkfiles creates the files (and their directories) under dir; names
// ending in / are directories.
func mkfiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(dir, n)
		if strings.HasSuffix(n, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tree lists the files and directories under dir, relative, sorted.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			rel += "/"
		}
		names = append(names, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// mesaFiles are files of every kind RemoveRun removes.
var mesaFiles = []string{"manifest.json", "manifest.json.tmp", "plan.json", ".plan.json.tmp-12345", "episodes.arrow", "training.arrow.tmp",
	"agents.partial.arrow", "units/0001/episodes.arrow", "units/0001/manifest.json", ".merge.tmp/episodes.arrow.tmp", "parquet/episodes.parquet",
	"csv/episodes.csv", "report/report.md", "report/outcomes.png", "lock", "lock.0123456789abcdef",
	"lock.fedcba9876543210.tmp"}

// foreignFiles are files RemoveRun leaves, whatever it removes around them,
// and foreignTree is what they look like to tree.
var (
	foreignFiles = []string{"notes.txt", "mine/", "mine/episodes.arrow", "parquet.bak/x.parquet", "units.txt", "lockfile"}
	foreignTree  = []string{"lockfile", "mine/", "mine/episodes.arrow", "notes.txt", "parquet.bak/", "parquet.bak/x.parquet", "units.txt"}
)

func TestRemoveRun(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		want  []string // what is left
		err   string
	}{
		{"everything mesa wrote", slices.Concat(mesaFiles, foreignFiles), foreignTree, ""},
		{"a sweep's plan only", []string{"plan.json", "units/", "notes.txt"}, []string{"notes.txt"}, ""},
		{"units only", []string{"units/3/episodes.arrow.tmp"}, nil, ""},
		{"empty", nil, nil, ""},
		{"only a lock", []string{"lock", "lock.0123456789abcdef"}, []string{"lock", "lock.0123456789abcdef"}, ""},
		{"foreign", foreignFiles, foreignTree, "is not a mesa run directory (no manifest.json, plan.json or units/); refusing to remove it"},
		{"only exports", []string{"parquet/episodes.parquet", "episodes.arrow"}, []string{"episodes.arrow", "parquet/", "parquet/episodes.parquet"},
			"is not a mesa run directory"},
		{"a units file, not a directory", []string{"units", "csv/x.csv"}, []string{"csv/", "csv/x.csv", "units"}, "is not a mesa run directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			mkfiles(t, dir, tc.files...)
			err := data.RemoveRun(dir)
			if tc.err == "" && err != nil {
				t.Fatal(err)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if got := tree(t, dir); !slices.Equal(got, tc.want) {
				t.Errorf("left %v, want %v", got, tc.want)
			}
			if _, err := os.Stat(dir); err != nil {
				t.Errorf("removed the directory itself: %v", err)
			}
		})
	}
	if err := data.RemoveRun(filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Errorf("a missing directory: %v", err)
	}
}

// TestRemoveRunForeignMessage pins the refusal's text.
func TestRemoveRunForeignMessage(t *testing.T) {
	dir := t.TempDir()
	mkfiles(t, dir, "notes.txt")
	want := "data: " + dir + " is not a mesa run directory (no manifest.json, plan.json or units/); refusing to remove it"
	if err := data.RemoveRun(dir); err == nil || err.Error() != want {
		t.Fatalf("error %v\nwant  %s", err, want)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "notes.txt")); err != nil || string(b) != "notes.txt" {
		t.Errorf("notes.txt: %q, %v", b, err)
	}
}

// TestRemoveRunLocked: a run held by another DirLock is refused, intact; a
// run this process holds exclusively is removed, its lock kept.
func TestRemoveRunLocked(t *testing.T) {
	dir := t.TempDir()
	mkfiles(t, dir, "manifest.json", "episodes.arrow", "parquet/episodes.parquet")
	l, err := data.Lock(dir, data.LockShared, "the other writer")
	if err != nil {
		t.Fatal(err)
	}
	err = data.RemoveRun(dir)
	var locked *data.LockedError
	if !errors.As(err, &locked) || err.Error() != "data: "+dir+" is being written by the other writer" {
		t.Fatalf("remove of a run being written: %v", err)
	}
	if got := tree(t, dir); len(got) != 6 { // the three files, parquet/, lock, lock.<id>
		t.Errorf("refused remove left %v", got)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l, err = data.Lock(dir, data.LockExclusive, "me")
	if err != nil {
		t.Fatal(err)
	}
	if err := data.RemoveRun(dir); err != nil {
		t.Fatal(err)
	}
	got := tree(t, dir)
	if len(got) != 2 || got[0] != data.LockFile || !strings.HasPrefix(got[1], data.LockFile+".") {
		t.Errorf("left %v, want the lock and its holder file", got)
	}
	// Still locked: another holder is refused.
	if _, err := data.Lock(dir, data.LockShared, "x"); err == nil || !strings.Contains(err.Error(), "being written by me") {
		t.Errorf("lock after remove: %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	// Unlocked, the lock file goes too; a later Lock makes a new one.
	mkfiles(t, dir, "plan.json")
	if err := data.RemoveRun(dir); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, dir); len(got) != 0 {
		t.Errorf("left %v", got)
	}
	l, err = data.Lock(dir, data.LockExclusive, "again")
	if err != nil {
		t.Fatal(err)
	}
	l.Unlock()
}

// TestCreateOverwriteRemovesExports: overwriting a run removes what was
// derived from it, exports included, so that no stale Parquet or CSV sits
// beside the new tables.
func TestCreateOverwriteRemovesExports(t *testing.T) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{}, 3)
	if _, err := data.ExportParquet(dir, filepath.Join(dir, "parquet"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := data.ExportCSV(dir, filepath.Join(dir, "csv"), nil); err != nil {
		t.Fatal(err)
	}
	mkfiles(t, dir, "notes.txt", "report/report.md")
	w, err := data.Create(dir, testInfo(), data.Options{Overwrite: true, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"agents.arrow", "attribution.arrow", "episodes.arrow", "manifest.json", "notes.txt", "training.arrow"}
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Errorf("after overwrite: %v, want %v", got, want)
	}
}
