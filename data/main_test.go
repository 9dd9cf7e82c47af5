package data_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// childEnv names the child mode when the test binary re-executes itself
// (see child): tests that need a process of their own, with a file size
// limit, a mount namespace or a lock to die with, run the binary again
// with this variable set.
const childEnv = "MESA_DATA_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		var args []string
		if err := json.Unmarshal([]byte(os.Getenv(childEnv+"_ARGS")), &args); err != nil {
			childf("child error: %s_ARGS: %v", childEnv, err)
			os.Exit(3)
		}
		os.Exit(child(mode, args))
	}
	os.Exit(m.Run())
}

// childCommand returns a command that runs this test binary as a child in
// the given mode with args.
func childCommand(t *testing.T, mode string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), exe, "-test.run=^$")
	b, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Env = append(os.Environ(), childEnv+"="+mode, childEnv+"_ARGS="+string(b))
	return cmd
}

// childPanicked fails t if a child's output shows a Go panic or fatal
// error.
func childPanicked(t *testing.T, out string) {
	t.Helper()
	for _, s := range []string{"panic:", "fatal error:", "goroutine "} {
		if strings.Contains(out, s) {
			t.Fatalf("the child panicked:\n%s", out)
		}
	}
}

// childf prints a line for the parent; children report on stdout.
func childf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
