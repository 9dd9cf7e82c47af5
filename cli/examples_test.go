package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamplesModule builds the example module (examples/, a module of
// its own whose go.mod replaces mesa with this one) and runs its tests: a
// policy family and a (1+λ) evolution strategy registered from outside
// mesa, trained and compared with mesa's through cli.Main on 2 seeds, the
// tables and the data naming them. It runs the go command, offline.
func TestExamplesModule(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("builds and tests a second module")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), goTool, "test", "-count=1", "./...")
	cmd.Dir = filepath.Join("..", "examples")
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOPROXY=off", "GOFLAGS=-mod=readonly")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test in examples/: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "ok  \texample.com/mesa-examples/cmd/mesa-examples") {
		t.Errorf("the example's tests did not run:\n%s", out)
	}
}
