//go:build linux || darwin

package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/mesa-alignment/mesa/data/datatest"
)

func init() {
	limitFileSize = func(n uint64) error {
		// Past the limit the kernel sends SIGXFSZ; ignored, the write
		// fails with EFBIG, as on a full disk.
		signal.Ignore(syscall.SIGXFSZ)
		return syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: n, Max: n})
	}
}

// mesaChild runs mesa with args in a child process whose files may not
// grow past limit bytes, and returns its stderr and exit code.
func mesaChild(t *testing.T, limit int64, args ...string) (string, int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(args)
	cmd := exec.CommandContext(t.Context(), exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(b), childLimitEnv+"="+strconv.FormatInt(limit, 10))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr.String(), "panic") {
		t.Fatalf("mesa %v panicked:\n%s", args, stderr.String())
	}
	return stderr.String(), code
}

// TestFullDiskLeavesNothingHalfWritten writes a report and a sweep's merge
// in a child process whose files may not grow past a limit (a full disk
// for every file bigger than that): each fails with one line naming the
// file and the OS error, leaves no empty or partial PNG, no staging
// directory, nothing new in a fresh output directory and the earlier
// report as it was; the same command without the limit then succeeds.
func TestFullDiskLeavesNothingHalfWritten(t *testing.T) {
	if raceEnabled {
		t.Skip("runs mesa in child processes: about files, not goroutines")
	}
	base := t.TempDir()
	run := filepath.Join(base, "run")
	mustMesa(t, "run", "--config", hostileRun, "--out", run, "--quiet")

	// analyze: the figures are bigger than 2 kB, report.md is not.
	const limit = 2000
	fresh := filepath.Join(base, "fresh")
	errOut, code := mesaChild(t, limit, "analyze", run, "--out", fresh, "--quiet")
	if code != 1 || !strings.Contains(errOut, ".png.tmp: write: file too large") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("analyze on a full disk: exit %d, %q", code, errOut)
	}
	if _, err := os.Lstat(fresh); err == nil {
		t.Errorf("a failed report left %v", datatest.Snapshot(t, fresh))
	}
	mustMesa(t, "analyze", run, "--out", fresh, "--quiet")
	before := datatest.Snapshot(t, fresh)
	errOut, code = mesaChild(t, limit, "analyze", run, "--out", fresh, "--quiet")
	if code != 1 {
		t.Errorf("analyze over a report on a full disk: exit %d, %q", code, errOut)
	}
	after := datatest.Snapshot(t, fresh)
	datatest.Kept(t, "analyze on a full disk", before, after)
	if len(after) != len(before) {
		t.Errorf("analyze on a full disk left %d files, the report had %d", len(after), len(before))
	}

	// sweep: its shards' units are small, the merged tables are not.
	sweep := filepath.Join(base, "sweep")
	for _, shard := range []string{"0/2", "1/2"} {
		mustMesa(t, "sweep", "--config", hostileSweep, "--out", sweep, "--shard", shard, "--quiet")
	}
	var biggest int64
	err := filepath.Walk(filepath.Join(sweep, "units"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			biggest = max(biggest, fi.Size())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	units := datatest.Snapshot(t, sweep)
	errOut, code = mesaChild(t, biggest+1, "sweep", "--config", hostileSweep, "--out", sweep, "--quiet")
	if code != 1 || !strings.Contains(errOut, ".arrow.tmp: write: file too large") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("merge on a full disk: exit %d, %q", code, errOut)
	}
	left := datatest.Snapshot(t, sweep)
	for p := range left {
		if _, ok := units[p]; !ok && !strings.HasPrefix(filepath.Base(p), "lock") {
			t.Errorf("a failed merge left %s", p)
		}
	}
	datatest.Kept(t, "a failed merge", units, left)
	mustMesa(t, "sweep", "--config", hostileSweep, "--out", sweep, "--quiet")
}
