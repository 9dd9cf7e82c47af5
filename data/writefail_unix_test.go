//go:build linux || darwin

package data_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/mesa-alignment/mesa/data"
)

// childErrors returns the errors a write child reported, failing t on a
// panic or on a child that could not run.
func childErrors(t *testing.T, out []byte, err error) []string {
	t.Helper()
	childPanicked(t, string(out))
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var errs []string
	for line := range strings.Lines(string(out)) {
		if msg, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "error: "); ok {
			errs = append(errs, msg)
		}
	}
	return errs
}

// checkFailedRun checks what a run whose episodes table failed leaves in
// dir: the other tables finished as <table>.partial.arrow, listed in a
// partial manifest whose error is msg and readable; episodes.arrow.tmp
// left behind and not listed; and no table under its final name.
func checkFailedRun(t *testing.T, dir, msg string) {
	t.Helper()
	want := []string{"agents.partial.arrow", "attribution.partial.arrow", "episodes.arrow.tmp", "manifest.json",
		"steps.partial.arrow", "training.partial.arrow"}
	if got := dirNames(t, dir); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	m, err := data.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != data.StatusPartial || m.Error != msg {
		t.Errorf("manifest status %q, error %q; want partial, %q", m.Status, m.Error, msg)
	}
	if _, ok := m.Table(data.TableEpisodes); ok || len(m.Tables) != 4 {
		t.Errorf("manifest lists %+v, want the four tables but episodes", m.Tables)
	}
	for _, tf := range m.Tables {
		if tf.File != tf.Table+".partial.arrow" || tf.Rows != 10 {
			t.Errorf("manifest entry %+v, want %s.partial.arrow with 10 rows", tf, tf.Table)
		}
	}
	r, err := data.OpenTraining(filepath.Join(dir, "training.partial.arrow"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if rows, err := r.ReadAll(); err != nil || len(rows) != 10 {
		t.Errorf("training.partial.arrow: %d rows, %v", len(rows), err)
	}
}

// TestWriteFailsOnFileSizeLimit writes a run from a child process whose
// files may not grow past 40 kB (RLIMIT_FSIZE, SIGXFSZ ignored), so that
// writing episodes.arrow.tmp fails with EFBIG: at an append, or at Close.
// Either way the child reports one line naming the file and the OS error,
// never panics, and leaves a partial run with no table under its final
// name.
func TestWriteFailsOnFileSizeLimit(t *testing.T) {
	for _, when := range []string{"append", "close"} {
		t.Run(when, func(t *testing.T) {
			dir := t.TempDir()
			out, err := childCommand(t, "write", dir, "40000", when).CombinedOutput()
			errs := childErrors(t, out, err)
			want := "data: " + filepath.Join(dir, "episodes.arrow.tmp") + ": write: file too large"
			if len(errs) != 1 || errs[0] != want {
				t.Fatalf("child reported %q, want the one error %q\n%s", errs, want, out)
			}
			checkFailedRun(t, dir, want)
			st, err := os.Stat(filepath.Join(dir, "episodes.arrow.tmp"))
			if err != nil || st.Size() > 40000 {
				t.Errorf("episodes.arrow.tmp: %v, %v", st, err)
			}
		})
	}
}

// TestWriteFailsOnDevFull writes episodes.arrow.tmp to /dev/full, whose
// writes fail with ENOSPC: a full disk for one file, in process, so that a
// checked allocator sees that the failed table's buffers are released on
// every path. (The file is created in the run directory, then its writes
// go to /dev/full under its name: mesa itself never writes through a
// symbolic link.)
func TestWriteFailsOnDevFull(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	restore := data.SetCreateTableFile(func(root *os.Root, name string) (*os.File, error) {
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, err
		}
		f.Close()
		if name != "episodes.arrow.tmp" {
			return root.OpenFile(name, os.O_WRONLY, 0)
		}
		fd, err := syscall.Open("/dev/full", syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return nil, err
		}
		return os.NewFile(uintptr(fd), filepath.Join(root.Name(), name)), nil
	})
	defer restore()
	for _, tc := range []struct {
		when  string
		batch int
	}{{"append", 500}, {"close", 0}} {
		t.Run(tc.when, func(t *testing.T) {
			mem := checked(t)
			dir := t.TempDir()
			tmp := filepath.Join(dir, "episodes.arrow.tmp")
			w := create(t, dir, data.Options{BatchRows: tc.batch, Steps: true, Allocator: mem})
			for _, err := range []error{w.AppendTraining(trainingRows(10)...), w.AppendAgents(agentRows(10)...),
				w.AppendAttribution(attributionRows(10)...), w.AppendSteps(stepRows(10)...)} {
				if err != nil {
					t.Fatal(err)
				}
			}
			want := "data: " + tmp + ": write: no space left on device"
			var errs []error
			for range 10 {
				if err := w.AppendEpisodes(episodeRows(100)...); err != nil {
					errs = append(errs, err)
				}
			}
			if tc.when == "append" {
				if len(errs) == 0 || errs[0].Error() != want {
					t.Fatalf("append errors %v, want %q", errs, want)
				}
				// The writer is broken: every later append says why.
				for _, err := range errs[1:] {
					if err.Error() != want {
						t.Errorf("later append error %q, want %q", err, want)
					}
				}
				if err := w.Abort(errs[0]); err != nil {
					t.Fatal(err)
				}
			} else {
				if len(errs) != 0 {
					t.Fatalf("append errors %v before Close", errs)
				}
				err := w.Close()
				if err == nil || err.Error() != want {
					t.Fatalf("Close: %v, want %q", err, want)
				}
				if !errors.Is(err, syscall.ENOSPC) {
					t.Errorf("Close error %v does not wrap the OS error", err)
				}
			}
			checkFailedRun(t, dir, want)
			if err := w.Close(); err == nil {
				t.Error("Close after the failure succeeded")
			}
		})
	}
}

// TestWriteFailsOnFullDisk writes a run onto a 64 kB tmpfs, mounted by a
// child process in a mount namespace of its own (root on Linux only; the
// test skips elsewhere). The disk fills: the append that hits it reports
// one line naming the file, the child does not panic, and no table gets
// its final name.
func TestWriteFailsOnFullDisk(t *testing.T) {
	if os.Geteuid() != 0 || newMountNamespace == nil {
		t.Skip("needs root on Linux to mount a tmpfs")
	}
	dir := t.TempDir()
	cmd := childCommand(t, "fulldisk", dir, "65536", "append")
	newMountNamespace(cmd)
	out, err := cmd.CombinedOutput()
	if err != nil && errors.Is(err, os.ErrPermission) {
		t.Skipf("no mount namespace: %v", err)
	}
	if strings.HasPrefix(string(out), "skip: ") {
		t.Skip(strings.TrimSpace(string(out)))
	}
	t.Logf("child:\n%s", out)
	errs := childErrors(t, out, err)
	want := "data: " + filepath.Join(dir, "episodes.arrow.tmp") + ": write: no space left on device"
	if len(errs) == 0 || errs[0] != want {
		t.Fatalf("child reported %q, want first %q\n%s", errs, want, out)
	}
	for _, e := range errs {
		if !strings.HasPrefix(e, "data: "+dir) {
			t.Errorf("error %q does not name a file of the run", e)
		}
	}
	for line := range strings.Lines(string(out)) {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "file: "); ok &&
			strings.HasSuffix(name, ".arrow") && !strings.HasSuffix(name, ".partial.arrow") {
			t.Errorf("a full disk left %s under its final name\n%s", name, out)
		}
	}
	if !strings.Contains(string(out), "manifest: partial") {
		t.Errorf("the manifest does not say partial:\n%s", out)
	}
}

// newMountNamespace makes cmd start in a mount namespace of its own, where
// the system can.
var newMountNamespace func(cmd *exec.Cmd)
