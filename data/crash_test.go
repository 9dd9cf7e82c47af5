package data_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/data"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestKilledRunLooksPartial writes rows (enough to flush batches) and never
// closes the writer, as when the process is killed: only .tmp table files
// and a partial manifest exist, and nothing opens as a finished table.
func TestKilledRunLooksPartial(t *testing.T) {
	dir := t.TempDir()
	// The writer is abandoned, so its buffers are never released: it uses
	// the default allocator rather than a checked one.
	w := create(t, dir, data.Options{BatchRows: 10, Steps: true})
	if err := w.AppendEpisodes(episodeRows(35)...); err != nil {
		t.Fatal(err)
	}
	want := []string{"agents.arrow.tmp", "attribution.arrow.tmp", "episodes.arrow.tmp", "manifest.json", "steps.arrow.tmp", "training.arrow.tmp"}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	m, err := data.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != data.StatusPartial || len(m.Tables) != 0 || !strings.Contains(m.Error, "killed") {
		t.Fatalf("manifest of a killed run: %+v", m)
	}
	if _, err := data.VerifyRun(dir); err == nil || !strings.Contains(err.Error(), "is partial") {
		t.Fatalf("VerifyRun of a killed run: %v", err)
	}
	if _, err := data.OpenEpisodes(filepath.Join(dir, "episodes.arrow"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("episodes.arrow of a killed run: %v", err)
	}
	// The .tmp file has no footer yet: it is not a readable Arrow file.
	if _, err := data.OpenEpisodes(filepath.Join(dir, "episodes.arrow.tmp"), nil); err == nil {
		t.Fatal("an unfinished .tmp file opened as a table")
	}
}

func TestAbortLeavesPartial(t *testing.T) {
	mem := checked(t)
	dir := t.TempDir()
	w := create(t, dir, data.Options{BatchRows: 10, Allocator: mem})
	if err := w.AppendEpisodes(episodeRows(25)...); err != nil {
		t.Fatal(err)
	}
	if err := w.AppendTraining(trainingRows(3)...); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(errors.New("budget exceeded\nat generation 3")); err != nil {
		t.Fatal(err)
	}
	want := []string{"agents.partial.arrow", "attribution.partial.arrow", "episodes.partial.arrow", "manifest.json", "training.partial.arrow"}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	m, err := data.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != data.StatusPartial || m.Error != "budget exceeded at generation 3" || len(m.Tables) != 4 {
		t.Fatalf("manifest %+v", m)
	}
	if tf, _ := m.Table("episodes"); tf.Rows != 25 || tf.File != "episodes.partial.arrow" {
		t.Fatalf("episodes entry %+v", tf)
	}
	// What was written before the abort is readable.
	if got := readAll(t, data.OpenEpisodes, filepath.Join(dir, "episodes.partial.arrow"), mem); len(got) != 25 {
		t.Fatalf("%d episodes kept, want 25", len(got))
	}
	if err := w.Close(); err == nil {
		t.Fatal("Close after Abort succeeded")
	}
	if err := w.Abort(nil); err == nil {
		t.Fatal("second Abort succeeded")
	}
}

func TestVerifyRunDetectsTampering(t *testing.T) {
	mem := checked(t)
	for _, tc := range []struct {
		name   string
		tamper func(path string) error
		want   string
	}{
		{"truncated", func(p string) error { return os.Truncate(p, 100) }, "truncated or replaced"},
		{"flipped", func(p string) error {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b[len(b)/2] ^= 1
			return os.WriteFile(p, b, 0o644)
		}, "sha256"},
		{"removed", os.Remove, "no such file"},
	} {
		dir := writeRun(t, mem, data.Options{}, 5)
		path := filepath.Join(dir, "agents.arrow")
		if err := tc.tamper(path); err != nil {
			t.Fatal(err)
		}
		_, err := data.VerifyRun(dir)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %s and %q", tc.name, err, path, tc.want)
		}
		if _, err := data.ExportCSV(dir, t.TempDir(), nil); err == nil {
			t.Errorf("%s: export of a tampered run succeeded", tc.name)
		}
	}
}

func TestReadManifestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"not json", "seed: 1\n", "not a run manifest"},
		{"other format", `{"format":"other"}`, `format "other"`},
		{"status", `{"format":"mesa-run","schema_version":1,"status":"done"}`, `status "done"`},
		{"escape", `{"format":"mesa-run","schema_version":1,"status":"complete","tables":[{"table":"episodes","file":"../x.arrow"}]}`, "outside the run directory"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := data.ReadManifest(dir)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "manifest.json") {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestCloseManifestFails: when the complete manifest cannot be written,
// Close fails with one line naming it, and takes the tables' final names
// back: the run stays partial, and no table looks complete.
func TestCloseManifestFails(t *testing.T) {
	mem := checked(t)
	dir := t.TempDir()
	w := create(t, dir, data.Options{Allocator: mem})
	if err := w.AppendEpisodes(episodeRows(5)...); err != nil {
		t.Fatal(err)
	}
	// A directory where the manifest's temporary file goes: creating it
	// fails.
	tmp := filepath.Join(dir, data.ManifestFile+".tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	err := w.Close()
	if err == nil || !strings.HasPrefix(err.Error(), "data: "+tmp+": ") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("Close: %v, want one line naming %s", err, tmp)
	}
	want := []string{"agents.partial.arrow", "attribution.partial.arrow", "episodes.partial.arrow", "manifest.json",
		"manifest.json.tmp", "training.partial.arrow"}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	if m, err := data.ReadManifest(dir); err != nil || m.Status != data.StatusPartial {
		t.Errorf("manifest %+v, %v", m, err)
	}
}
