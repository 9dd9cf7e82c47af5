package examples_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestResearcherModule builds examples/researcher against this checkout
// and runs its tests: a family (wide) and a (1+λ) evolution strategy
// (oneplus) registered from outside mesa, trained and compared with the
// GA and the reactive family on 2 seeds through cli.Main, the tables and
// the data naming them. The module's own go.mod has no replace: the
// replace lives in a temporary copy given to the go command by -modfile.
func TestResearcherModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a second module")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command: %v", err)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	module := filepath.Join(root, "examples", "researcher")
	tmp := t.TempDir()
	modfile := filepath.Join(tmp, "go.mod")
	for _, f := range []struct{ from, to string }{{"go.mod", modfile}, {"go.sum", filepath.Join(tmp, "go.sum")}} {
		b, err := os.ReadFile(filepath.Join(module, f.from))
		if err != nil {
			t.Fatal(err)
		}
		if f.from == "go.mod" && strings.Contains(string(b), "\nreplace") {
			t.Errorf("examples/researcher/go.mod has a replace: a researcher's module needs none")
		}
		if err := os.WriteFile(f.to, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The module cache already holds what mesa's own build needed, which is all
	// the example needs; GOPROXY is left to the environment in case it is not.
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(t.Context(), goTool, args...)
		cmd.Dir, cmd.Env = module, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s in examples/researcher: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("mod", "edit", "-modfile="+modfile, "-replace=github.com/mesa-alignment/mesa="+root)
	out := run("test", "-count=1", "-modfile="+modfile, "./...")
	if !strings.Contains(out, "ok  \texample.com/mesa-examples/cmd/mesa-examples") {
		t.Errorf("the example's tests did not run:\n%s", out)
	}
}
