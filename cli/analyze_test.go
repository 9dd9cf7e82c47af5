package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mesa-alignment/mesa/report"
)

// TestAnalyzeCommand analyses a sweep: the tables per point on stdout,
// report.md with figures (the example mazes re-simulated), flags after the
// directories; a shard that is not merged is refused unless --partial.
func TestAnalyzeCommand(t *testing.T) {
	dir := renderRun(t)
	out := filepath.Join(t.TempDir(), "rep")
	stdout, errOut, code := mesa(t, "analyze", dir, "--out", out)
	if code != 0 {
		t.Fatalf("analyze: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Outcomes: share of each agent's episodes", "train.randomize=0.5  sgd", "Verdicts on the probe split", "Proxy strength in steps"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## What was run", "(2 points: train.randomize=0; train.randomize=0.5)", "![p1-maze-deploy.png](p1-maze-deploy.png)", "re-simulated from the seeds"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if strings.Contains(string(md), "No example maze") {
		t.Errorf("a maze could not be re-simulated:\n%s", md)
	}
	for _, f := range []string{"p0-learning-planner.png", "p0-proxy_control.png", "sweep-deploy-proxy_control.png", "sweep-attributed-goal.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}

	// Every text line fits 120 columns without $COLUMNS, or $COLUMNS.
	for _, cols := range []string{"", "80"} {
		t.Setenv("COLUMNS", cols)
		stdout, _, _ := mesa(t, "analyze", dir, "--out", out, "--no-figures")
		width := map[string]int{"": 120, "80": 80}[cols]
		for _, l := range strings.Split(stdout, "\n") {
			if n := utf8.RuneCountInString(l); n > width {
				t.Errorf("COLUMNS=%q: a line of %d columns: %q", cols, n, l)
			}
		}
		if !strings.HasPrefix(stdout, "Headline on deploy") {
			t.Errorf("COLUMNS=%q: the headline is not first:\n%s", cols, stdout)
		}
	}
	// Every printed table in CSV and in JSON.
	csvOut, errOut, code := mesa(t, "analyze", dir, "--out", out, "--no-figures", "--format", "csv")
	if code != 0 || !strings.HasPrefix(csvOut, "# Headline on deploy") || !strings.Contains(csvOut, "\n# Outcomes") ||
		!strings.Contains(csvOut, "optimizer,family,split,seeds,goal,proxy_then_goal,proxy,capability_failure\n") {
		t.Errorf("--format csv: exit %d %s\n%s", code, errOut, csvOut)
	}
	jsonOut, errOut, code := mesa(t, "analyze", dir, "--out", out, "--no-figures", "--format", "json")
	var tabs []struct {
		Title string
		Rows  []map[string]string
	}
	if err := json.Unmarshal([]byte(jsonOut), &tabs); code != 0 || err != nil || len(tabs) < 5 || !strings.HasPrefix(tabs[0].Title, "Headline") {
		t.Errorf("--format json: exit %d %s %v\n%s", code, errOut, err, jsonOut)
	}
	if _, errOut, code := mesa(t, "analyze", dir, "--format", "xml"); code != 2 || !strings.Contains(errOut, `--format "xml": want text, csv, json`) {
		t.Errorf("--format xml: exit %d, %q", code, errOut)
	}
	full, _, _ := mesa(t, "analyze", dir, "--out", out, "--no-figures", "--references")
	if !strings.Contains(full, "none       oracle") || strings.Contains(full, "Scripted references (known objectives") {
		t.Errorf("--references: the references' rows are not in the tables:\n%s", full)
	}

	shard := filepath.Join(t.TempDir(), "shard")
	if _, errOut, code := mesa(t, "sweep", "--config", "testdata/render-run.yaml", "--out", shard, "--shard", "0/2", "--quiet"); code != 0 {
		t.Fatalf("shard: exit %d: %s", code, errOut)
	}
	if _, errOut, code := mesa(t, "analyze", shard, "--no-figures"); code != 1 || !strings.Contains(errOut, "the sweep is not merged") || !strings.Contains(errOut, "--partial") {
		t.Errorf("analyze of a shard: exit %d, %q", code, errOut)
	}
	if _, errOut, code := mesa(t, "analyze", "--partial", shard, "--quiet"); code != 0 {
		t.Errorf("analyze --partial of a shard: exit %d, %q", code, errOut)
	}
	if _, errOut, code := mesa(t, "analyze"); code != 2 || !strings.Contains(errOut, "give one or more run directories") {
		t.Errorf("analyze without a directory: exit %d, %q", code, errOut)
	}
}

// TestAnalyzeNegativeExcess: a sweep whose proxy − control lies below 0,
// interval and all, is analysed, and its figures drawn (the sweep curve of
// proxy − control once failed on an interval clipped to [0, 1]).
func TestAnalyzeNegativeExcess(t *testing.T) {
	if raceEnabled {
		t.Skip("draws some 20 figures, slowly under -race (report's TestNegativeExcessFigures draws the sweep curves)")
	}
	dir := filepath.Join(t.TempDir(), "run")
	if _, errOut, code := mesa(t, "sweep", "--config", "testdata/negative-excess.yaml", "--out", dir, "--quiet"); code != 0 {
		t.Fatalf("sweep: exit %d: %s", code, errOut)
	}
	st, err := report.Load([]string{dir}, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range st.Cells() {
		if iv := st.Interval(c, report.MetricExcess, "deploy"); !(iv.Hi < 0) {
			t.Fatalf("%s at point %d: proxy − control %+v: the test needs it below 0", c.Name(), c.Point, iv)
		}
	}
	out := filepath.Join(t.TempDir(), "rep")
	if _, errOut, code := mesa(t, "analyze", dir, "--out", out, "--quiet"); code != 0 {
		t.Fatalf("analyze: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(out, "sweep-deploy-proxy_control.png")); err != nil {
		t.Error(err)
	}
}
