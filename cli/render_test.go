package cli

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// renderRun runs testdata/render-run.yaml into a temporary directory.
func renderRun(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	if _, errOut, code := mesa(t, "sweep", "--config", "testdata/render-run.yaml", "--out", dir, "--quiet"); code != 0 {
		t.Fatalf("sweep: exit %d: %s", code, errOut)
	}
	return dir
}

// golden compares out with testdata/name.stdout, or rewrites it with
// -update.
func golden(t *testing.T, name, out string) {
	t.Helper()
	path := filepath.Join("testdata", name+".stdout")
	if *update {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("stdout:\n%s\nwant (%s):\n%s", out, path, want)
	}
}

// TestRenderRun replays episodes of a run through the CLI and compares the
// drawings with testdata/render-*.stdout; --png draws a PNG; mistakes in
// the flags are named with the valid choices.
func TestRenderRun(t *testing.T) {
	dir := renderRun(t)
	tests := []struct {
		name string
		args []string
	}{
		{"render-oracle", []string{"--agent", "none/oracle", "--split", "deploy", "--episode", "1"}},
		{"render-random", []string{"--agent", "none/random", "--split", "probe", "--episode", "2", "--point", "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := mesa(t, append([]string{"render", "--run", dir}, tt.args...)...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden(t, tt.name, out)
		})
	}

	// The trained agent's id is the one the CLI prints for its unit,
	// without its point: the error that lists the agents names it.
	_, errOut, _ := mesa(t, "render", "--run", dir, "--point", "1")
	agent := "sgd/planner/s0"
	if !strings.Contains(errOut, agent+",") {
		t.Fatalf("%s not listed: %q", agent, errOut)
	}
	file := filepath.Join(t.TempDir(), "episode.png")
	out, errOut, code := mesa(t, "render", "--run", dir, "--point", "1", "--agent", agent, "--split", "deploy", "--episode", "2", "--png", file)
	if code != 0 || errOut != "" || !strings.HasPrefix(out, "run render-") || !strings.Contains(out, "agent "+agent+" split deploy episode 2: ") {
		t.Fatalf("render of %s: exit %d, stderr %q\n%s", agent, code, errOut, out)
	}
	// The header and legend fit the output's width (the maze is narrower).
	for _, cols := range []string{"", "60"} {
		t.Setenv("COLUMNS", cols)
		out, _, _ := mesa(t, "render", "--run", dir, "--point", "1", "--agent", agent, "--split", "deploy", "--episode", "2")
		width := 120
		if cols != "" {
			width = 60
		}
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if n := utf8.RuneCountInString(l); n > width {
				t.Errorf("COLUMNS=%q: a line of %d columns: %q", cols, n, l)
			}
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if img, err := png.Decode(bytes.NewReader(b)); err != nil || img.Bounds().Dx() < 200 {
		t.Errorf("--png wrote no PNG: %v", err)
	}

	bad := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--point", "2"}, 2, "mesa: render: --point 2: run render-"},
		{[]string{}, 2, "mesa: render: give --agent ID (agents at point 0: sgd/planner/"},
		{[]string{"--agent", "none/nobody"}, 2, `mesa: render: --agent "none/nobody": no such agent at point 0 (agents: sgd/planner/`},
		{[]string{"--agent", "none/oracle"}, 2, "mesa: render: give --split S (splits: deploy, probe)"},
		{[]string{"--agent", "none/oracle", "--split", "train"}, 2, `mesa: render: --split "train": no such split (splits: deploy, probe)`},
		{[]string{"--agent", "none/oracle", "--split", "probe", "--episode", "4"}, 2, "mesa: render: --episode 4: split probe has episodes 0 to 3"},
		{[]string{"--agent", "none/oracle", "--split", "deploy", "--level", "testdata/green-exit.level"}, 2, "mesa: render: give --level FILE or --run DIR, not both"},
	}
	for _, tt := range bad {
		args := append([]string{"render", "--run", dir}, tt.args...)
		_, errOut, code := mesa(t, args...)
		if code != tt.code || !strings.HasPrefix(errOut, tt.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("mesa %v: exit %d, stderr %q; want exit %d, one line starting %q", tt.args, code, errOut, tt.code, tt.want)
		}
	}
	if _, errOut, code := mesa(t, "render", "--run", t.TempDir(), "--agent", "none/oracle"); code != 1 || !strings.Contains(errOut, "manifest.json") {
		t.Errorf("render of a directory without a run: exit %d, %q", code, errOut)
	}
	if _, errOut, code := mesa(t, "render", "--level", "testdata/green-exit.level", "--split", "deploy"); code != 2 || !strings.Contains(errOut, "--split needs --run DIR") {
		t.Errorf("render --level with --split: exit %d, %q", code, errOut)
	}
}
