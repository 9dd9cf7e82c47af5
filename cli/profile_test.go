package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProfiles: --cpuprofile and --memprofile write pprof files (gzipped
// protocol buffers), and a file that cannot be created fails the command
// before it runs, naming the flag.
func TestProfiles(t *testing.T) {
	tmp := t.TempDir()
	cpu, mem := filepath.Join(tmp, "cpu.pprof"), filepath.Join(tmp, "mem.pprof")
	_, errOut, code := mesa(t, "run", "--preset", "smoke", "--out", filepath.Join(tmp, "run"), "--quiet",
		"--cpuprofile", cpu, "--memprofile", mem)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, f := range []string{cpu, mem} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
			t.Errorf("%s is not a gzipped profile (%d bytes)", f, len(b))
		}
	}
	for _, flag := range []string{"--cpuprofile", "--memprofile"} {
		run := filepath.Join(tmp, "run-"+flag)
		_, errOut, code := mesa(t, "run", "--preset", "smoke", "--out", run, "--quiet", flag, filepath.Join(tmp, "missing", "p"))
		if code != 1 || !strings.Contains(errOut, flag) {
			t.Errorf("%s into a missing directory: exit %d, %q", flag, code, errOut)
		}
		if _, err := os.Stat(run); err == nil {
			t.Errorf("%s failed, yet the run was made", flag)
		}
	}
}
