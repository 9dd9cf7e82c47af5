package data_test

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/data/datatest"
)

// writeOutput writes an output of kind for runs into dir (OpenOutput),
// each file holding content.
func writeOutput(dir, kind string, runs []string, content string, files ...string) ([]string, error) {
	o, err := data.OpenOutput(dir, kind, runs)
	if err != nil {
		return nil, err
	}
	defer o.Close()
	if err := o.Begin(files...); err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := o.WriteFile(f, func(w io.Writer) error { _, err := io.WriteString(w, content); return err }); err != nil {
			return nil, err
		}
	}
	return o.Commit()
}

// TestOutput: an output replaces the earlier output of the same kind and
// first run, removing only the files its marker lists; another run's
// output, another kind, a run directory and the user's directory are
// refused, untouched; a failed output leaves the earlier one whole.
func TestOutput(t *testing.T) {
	base := t.TempDir()
	out := filepath.Join(base, "figs")
	paths, err := writeOutput(out, data.OutputReport, []string{"a", "b"}, "1", "report.md", "x.png", "y.png")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join(out, "report.md"), filepath.Join(out, "x.png"), filepath.Join(out, "y.png")}; !slices.Equal(paths, want) {
		t.Errorf("paths %v, want %v", paths, want)
	}
	mkfiles(t, out, "mine.png", "notes/n.txt")
	user := datatest.Snapshot(t, out)
	for _, n := range []string{"report.md", "x.png", "y.png", "mesa-output.json", "lock"} {
		delete(user, n)
	}
	// The same first run: replaced; y.png goes, the user's files stay.
	if _, err := writeOutput(out, data.OutputReport, []string{"a"}, "2", "report.md", "x.png"); err != nil {
		t.Fatal(err)
	}
	datatest.Kept(t, "the second report", user, datatest.Snapshot(t, out))
	if got := tree(t, out); !slices.Equal(got, []string{"lock", "mesa-output.json", "mine.png", "notes/", "notes/n.txt", "report.md", "x.png"}) {
		t.Errorf("after the second report: %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "x.png")); string(b) != "2" {
		t.Errorf("x.png holds %q, want the second report's", b)
	}
	before := datatest.Snapshot(t, out)
	for _, tc := range []struct {
		kind  string
		runs  []string
		files []string
		want  string
	}{
		{data.OutputReport, []string{"b", "a"}, []string{"report.md"}, "holds mesa's report of run a; refusing to replace it with the report of run b"},
		{data.OutputExport, []string{"a"}, []string{"episodes.csv"}, "holds mesa's report of run a; refusing to replace it with the export of run a"},
		{data.OutputReport, []string{"a"}, []string{"mine.png"}, "mine.png: exists and is not mesa's"},
		{data.OutputReport, []string{"a"}, []string{"notes"}, "notes: a directory, not mesa's"},
		{data.OutputReport, []string{"a"}, []string{".hidden"}, `bad or repeated file name ".hidden"`},
	} {
		if _, err := writeOutput(out, tc.kind, tc.runs, "3", tc.files...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s of %v writing %v: %v, want %q", tc.kind, tc.runs, tc.files, err, tc.want)
		}
		after := datatest.Snapshot(t, out)
		datatest.Kept(t, "a refused output", before, after)
		if len(after) != len(before) {
			t.Errorf("a refused output left %v", tree(t, out))
		}
	}
	// The user's directory, and a run.
	theirs := filepath.Join(base, "theirs")
	mkfiles(t, theirs, "a.png")
	if _, err := writeOutput(theirs, data.OutputReport, []string{"a"}, "1", "report.md"); err == nil || !strings.Contains(err.Error(), "is not empty and not mesa's output (it holds a.png") {
		t.Errorf("the user's directory: %v", err)
	}
	run := writeRun(t, checked(t), data.Options{}, 2)
	if _, err := writeOutput(run, data.OutputExport, []string{"run-test"}, "1", "episodes.csv"); err == nil || !strings.Contains(err.Error(), "is a run directory") {
		t.Errorf("a run directory: %v", err)
	}
	// A symbolic link where mesa puts its output in a run directory.
	if err := os.Symlink(theirs, filepath.Join(run, "csv")); err != nil {
		t.Fatal(err)
	}
	if _, err := data.OpenOutputIn(run, "csv", data.OutputExport, []string{"run-test"}); err == nil || !strings.Contains(err.Error(), "is a symbolic link, not a directory") {
		t.Errorf("a link in a run: %v", err)
	}
	if _, err := data.ExportCSV(run, "", nil); err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
		t.Errorf("export through a link: %v", err)
	}
	if got := tree(t, theirs); !slices.Equal(got, []string{"a.png"}) {
		t.Errorf("the link's target holds %v", got)
	}
}

// TestOpenRunRefusesForeignTables: a table file copied from another run is
// refused, naming it: by its checksum, and, where the manifest was edited
// to match (an unsealed manifest), by the run id of its rows.
func TestOpenRunRefusesForeignTables(t *testing.T) {
	mem := checked(t)
	a := writeRun(t, mem, data.Options{}, 4)
	info := testInfo()
	info.RunID = "run-other"
	b := t.TempDir()
	w, err := data.Create(b, info, data.Options{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	if err := appendRun(w, 4, false); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	theirs, err := os.ReadFile(filepath.Join(b, "episodes.arrow"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(a, "episodes.arrow")
	if err := os.WriteFile(path, theirs, 0o644); err != nil {
		t.Fatal(err)
	}
	open := func() error {
		r, err := data.OpenRun(a)
		if err != nil {
			return err
		}
		defer r.Close()
		ep, err := r.Episodes(&data.ReadOptions{Allocator: mem})
		if err == nil {
			ep.Close()
		}
		return err
	}
	if err := open(); err == nil || !strings.HasPrefix(err.Error(), "data: "+path+": ") || !strings.Contains(err.Error(), "(truncated or replaced)") && !strings.Contains(err.Error(), "(corrupt or replaced)") {
		t.Errorf("another run's table: %v", err)
	}
	// The manifest edited to the copied file's size and checksum, and
	// unsealed, as by hand.
	mb, _ := data.ReadManifest(b)
	theirEntry, _ := mb.Table("episodes")
	m, err := os.ReadFile(filepath.Join(a, data.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	ma, _ := data.ReadManifest(a)
	ours, _ := ma.Table("episodes")
	edited := strings.Replace(string(m), ours.SHA256, theirEntry.SHA256, 1)
	edited = strings.Replace(edited, `"bytes": `+itoa(ours.Bytes), `"bytes": `+itoa(theirEntry.Bytes), 1)
	if err := os.WriteFile(filepath.Join(a, data.ManifestFile), unsealed(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := open(); err == nil || err.Error() != "data: "+path+": holds rows of run run-other, not of run run-test (its manifest's): another run's file" {
		t.Errorf("another run's table, the manifest edited: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
