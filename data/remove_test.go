package data_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/data/datatest"
)

// mkfiles creates the files (and their directories) under dir; names
// ending in / are directories. Each file holds its name.
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

// writeReport writes an output of kind report for the test run into
// dir/report, with the files named.
func writeReport(t *testing.T, dir string, files ...string) {
	t.Helper()
	o, err := data.OpenOutputIn(dir, "report", data.OutputReport, []string{testInfo().RunID})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if err := o.Begin(files...); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := o.WriteFile(f, func(w io.Writer) error { _, err := io.WriteString(w, f); return err }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := o.Commit(); err != nil {
		t.Fatal(err)
	}
}

// userFiles are files a user keeps in and beside a run directory, under
// names mesa uses or might be thought to use; userTree is what they look
// like to tree once the run is gone.
var (
	userFiles = []string{"notes.txt", "mine.arrow", "episodes.arrow.bak", "lock.old", "lockfile", "lock.0123456789abcdef0",
		"units/mine.txt", "parquet/mine.parquet", "report/mine.png", "csv.bak/x.csv", ".merge.tmp.txt"}
	userTree = []string{".merge.tmp.txt", "csv.bak/", "csv.bak/x.csv", "episodes.arrow.bak", "lock.0123456789abcdef0", "lock.old", "lockfile",
		"mine.arrow", "notes.txt", "parquet/", "parquet/mine.parquet", "report/", "report/mine.png", "units/", "units/mine.txt"}
)

// TestRemoveRun removes runs in every state from directories that hold the
// user's files too: what mesa's lists name goes, nothing else does; a
// directory that is not a run is refused, untouched.
func TestRemoveRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(t *testing.T, dir string)
		want []string // what is left
		err  string
	}{
		{"a run, its exports and report, and the user's files", func(t *testing.T, dir string) {
			writeRunIn(t, dir, data.Options{}, 6)
			for _, export := range []func(string, string, *data.ExportOptions) ([]string, error){data.ExportParquet, data.ExportCSV} {
				if _, err := export(dir, "", nil); err != nil {
					t.Fatal(err)
				}
			}
			writeReport(t, dir, "report.md", "outcomes.png")
			mkfiles(t, dir, userFiles...)
		}, userTree, ""},
		{"a killed writer", func(t *testing.T, dir string) {
			w := create(t, dir, data.Options{BatchRows: 10, Steps: true})
			if err := w.AppendEpisodes(episodeRows(35)...); err != nil {
				t.Fatal(err)
			}
			mkfiles(t, dir, "notes.txt")
		}, []string{"notes.txt"}, ""},
		{"an aborted run", func(t *testing.T, dir string) {
			copyDir(t, partialRun(t, checked(t)), dir)
		}, nil, ""},
		{"a sweep's plan and units", func(t *testing.T, dir string) {
			writeSweep(t, dir)
			mkfiles(t, dir, "units/mine.txt", "units/other/notes.txt")
		}, []string{"units/", "units/mine.txt", "units/other/", "units/other/notes.txt"}, ""},
		{"another run's unit", func(t *testing.T, dir string) {
			writeSweep(t, dir)
			info := testInfo()
			info.RunID = "run-other"
			w, err := data.Create(filepath.Join(dir, "units", "theirs"), info, data.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}, []string{"units/", "units/theirs/", "units/theirs/agents.arrow", "units/theirs/attribution.arrow", "units/theirs/episodes.arrow",
			"units/theirs/manifest.json", "units/theirs/training.arrow"}, ""},
		{"empty", func(*testing.T, string) {}, nil, ""},
		{"only a lock", func(t *testing.T, dir string) {
			l, err := data.Lock(dir, data.LockExclusive, "x")
			if err != nil {
				t.Fatal(err)
			}
			l.Unlock()
		}, []string{"lock"}, ""},
		{"foreign", func(t *testing.T, dir string) { mkfiles(t, dir, userFiles...) }, userTree, "is not a mesa run directory (it holds .merge.tmp.txt"},
		{"a user's units/", func(t *testing.T, dir string) { mkfiles(t, dir, "units/mine.txt") }, []string{"units/", "units/mine.txt"},
			"is not a mesa run directory (it holds units, which is not mesa's)"},
		{"a manifest not mesa's", func(t *testing.T, dir string) {
			mkfiles(t, dir, "report/x.png", "episodes.arrow")
			if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"format":"other"}`), 0o644); err != nil {
				t.Fatal(err)
			}
		}, []string{"episodes.arrow", "manifest.json", "report/", "report/x.png"}, `manifest.json: format "other"`},
		{"a plan not mesa's", func(t *testing.T, dir string) {
			mkfiles(t, dir, "plan.json", "units/x/manifest.json")
		}, []string{"plan.json", "units/", "units/x/", "units/x/manifest.json"}, "plan.json: not a mesa plan"},
		{"a report, not a run", func(t *testing.T, dir string) {
			writeReport(t, filepath.Dir(dir), "report.md")
			copyDir(t, filepath.Join(filepath.Dir(dir), "report"), dir)
		}, []string{"lock", "mesa-output.json", "report.md"}, "holds mesa's report of run run-test, not a run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			tc.make(t, dir)
			err := data.RemoveRun(dir)
			if tc.err == "" && err != nil {
				t.Fatal(err)
			}
			if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if got := tree(t, dir); !slices.Equal(got, tc.want) {
				t.Errorf("left %v\nwant %v", got, tc.want)
			}
		})
	}
	if err := data.RemoveRun(filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Errorf("a missing directory: %v", err)
	}
}

// writeSweep writes into dir what a sweep's shard leaves: its plan, two
// committed units, and its lock file.
func writeSweep(t *testing.T, dir string) {
	t.Helper()
	l, err := data.Lock(dir, data.LockShared, "shard")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	if _, err := l.ClaimPlan(data.NewRunPlan(testInfo().RunID, []byte("config"), []string{"a", "b"})); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"a", "b"} {
		w, err := l.CreateUnit(u, testInfo(), data.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(w.SetPoint(0, pointValues(0)), w.AppendEpisodes(episodeRows(3)...), w.Close()); err != nil {
			t.Fatal(err)
		}
		if err := l.CommitUnit(w); err != nil {
			t.Fatal(err)
		}
	}
}

// copyDir copies the regular files of src into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	es, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRemoveRunFollowsNoLink: symbolic links planted in a run directory,
// at names mesa writes and lists, are neither followed nor removed.
func TestRemoveRunFollowsNoLink(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	mkfiles(t, outside, "episodes.arrow", "figs/outcomes.png", "figs/report.md", "units/u/manifest.json", "csv/episodes.csv")
	dir := filepath.Join(base, "run")
	writeRunIn(t, dir, data.Options{}, 4)
	if _, err := data.ExportCSV(dir, "", nil); err != nil {
		t.Fatal(err)
	}
	writeReport(t, dir, "report.md", "outcomes.png")
	links := map[string]string{
		"report/outcomes.png":    filepath.Join(outside, "figs/outcomes.png"),
		"csv/.episodes.csv.tmp":  filepath.Join(outside, "csv/episodes.csv"),
		"training.arrow":         filepath.Join(outside, "episodes.arrow"),
		"units":                  filepath.Join(outside, "units"),
		"parquet":                filepath.Join(outside, "figs"),
		"manifest.json.tmp":      filepath.Join(outside, "episodes.arrow"),
		"lock.0123456789abcdef":  filepath.Join(outside, "episodes.arrow"),
		"attribution.arrow.tmp":  "../outside/episodes.arrow",
		"episodes.partial.arrow": "episodes.arrow",
	}
	for name, target := range links {
		p := filepath.Join(dir, name)
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	before := datatest.Snapshot(t, base)
	for p := range before {
		if _, ok := links[strings.TrimPrefix(p, "run/")]; !strings.HasPrefix(p, "outside") && !ok {
			delete(before, p) // mesa's own files may go
		}
	}
	if err := data.RemoveRun(dir); err != nil {
		t.Fatal(err)
	}
	datatest.Kept(t, "RemoveRun", before, datatest.Snapshot(t, base))
}

// TestRemoveRunForeignMessage pins the refusal's text.
func TestRemoveRunForeignMessage(t *testing.T) {
	dir := t.TempDir()
	mkfiles(t, dir, "notes.txt")
	want := "data: " + dir + " is not a mesa run directory (it holds notes.txt, which is not mesa's); refusing to remove anything from it"
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
	writeRunIn(t, dir, data.Options{}, 2)
	l, err := data.Lock(dir, data.LockShared, "the other writer")
	if err != nil {
		t.Fatal(err)
	}
	err = data.RemoveRun(dir)
	var locked *data.LockedError
	if !errors.As(err, &locked) || err.Error() != "data: "+dir+" is being written by the other writer" {
		t.Fatalf("remove of a run being written: %v", err)
	}
	if got := tree(t, dir); len(got) != 8 { // the five tables, the manifest, lock, lock.<id>
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
	writeRunIn(t, dir, data.Options{}, 2)
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
// derived from it, exports and report included, so that no stale Parquet
// or CSV sits beside the new tables; the user's files stay.
func TestCreateOverwriteRemovesExports(t *testing.T) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{}, 3)
	if _, err := data.ExportParquet(dir, "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := data.ExportCSV(dir, "", nil); err != nil {
		t.Fatal(err)
	}
	writeReport(t, dir, "report.md")
	mkfiles(t, dir, "notes.txt", "report/mine.png")
	w, err := data.Create(dir, testInfo(), data.Options{Overwrite: true, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"agents.arrow", "attribution.arrow", "episodes.arrow", "manifest.json", "notes.txt", "report/", "report/mine.png", "training.arrow"}
	if got := tree(t, dir); !slices.Equal(got, want) {
		t.Errorf("after overwrite: %v, want %v", got, want)
	}
}

// TestCreateRefusesForeign: Create refuses, with or without Overwrite, a
// directory that holds anything but a mesa run, and writes nothing there.
func TestCreateRefusesForeign(t *testing.T) {
	for _, files := range [][]string{{"notes.txt"}, {"lock.old"}, {"units/mine.txt"}, {"episodes.arrow"}, {"manifest.json.tmp.bak"}} {
		for _, overwrite := range []bool{false, true} {
			dir := t.TempDir()
			mkfiles(t, dir, files...)
			before := datatest.Snapshot(t, dir)
			_, err := data.Create(dir, testInfo(), data.Options{Overwrite: overwrite})
			if err == nil || !strings.Contains(err.Error(), "is not empty and not a mesa run") {
				t.Errorf("%v, overwrite %v: %v", files, overwrite, err)
			}
			after := datatest.Snapshot(t, dir)
			datatest.Kept(t, "Create", before, after)
			if len(after) != len(before) {
				t.Errorf("%v, overwrite %v: Create wrote %v", files, overwrite, tree(t, dir))
			}
		}
	}
}
