package report

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/experiment"
	"github.com/mesa-alignment/mesa/stats"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// synthetic builds a study of one run: two optimizers × one family, with
// the given per-seed goal shares on split "deploy" (100 episodes each).
func synthetic(ga, sgd []float64) *Study {
	run := &Run{Dir: "x", Manifest: &data.Manifest{RunID: "r"}, Labels: map[int]string{}, Values: map[int]map[string]string{},
		Roles: map[string]string{"colour:green": "proxy", "colour:blue": "control"}}
	s := &Study{Runs: []*Run{run}, Splits: []string{"deploy"}}
	add := func(opt string, shares []float64) {
		for i, g := range shares {
			goal := int(math.Round(g * 100))
			s.Agents = append(s.Agents, &Agent{Run: run, Optimizer: opt, Family: "planner", ID: opt + string(rune('a'+i)), Index: i,
				Splits: map[string]*AgentSplit{"deploy": {Episodes: 100, Goal: goal, Proxy: 100 - goal, ByProxy: map[string]int{"colour:green": 100 - goal}}}})
		}
	}
	add("ga", ga)
	add("sgd", sgd)
	s.classify()
	return s
}

// TestSeedLevelStatistics: the intervals and tests are over seeds, with
// the values an independent computation gives.
func TestSeedLevelStatistics(t *testing.T) {
	s := synthetic([]float64{0.1, 0.2, 0.3, 0.4, 0.5}, []float64{0.6, 0.7, 0.8, 0.9, 1.0})
	cells := s.Cells()
	if len(cells) != 2 || len(cells[0].Agents) != 5 {
		t.Fatalf("cells %+v", cells)
	}
	// Mean 0.3, sd 0.158114, t(0.975, 4) = 2.776445: half-width 0.196324.
	iv := s.Interval(cells[0], MetricGoal, "deploy")
	if math.Abs(iv.Centre-0.3) > 1e-12 || math.Abs(iv.HalfWidth()-0.1963243) > 1e-6 || iv.N != 5 {
		t.Errorf("goal interval %+v, want 0.3 ± 0.196324 over 5 seeds", iv)
	}
	// Pooled: 150 of 500 episodes, Wilson 95%: [0.2614, 0.3415].
	pi := s.PooledInterval(cells[0], MetricGoal, "deploy")
	if pi.Centre != 0.3 || math.Abs(pi.Lo-0.26148) > 1e-4 || math.Abs(pi.Hi-0.34154) > 1e-4 {
		t.Errorf("pooled interval %+v, want 0.3 [0.2615, 0.3415]", pi)
	}
	cs, err := s.Comparisons()
	if err != nil {
		t.Fatal(err)
	}
	// Three metrics on one split: each its own Holm family of one. Every
	// proxy episode is green (a proxy; no blue control), so proxy −
	// control is proxy pursued; for each the groups do not overlap, so the
	// exact permutation p is 2/252.
	if len(cs) != 3 {
		t.Fatalf("%d comparisons, want 3", len(cs))
	}
	for _, c := range cs {
		want := 2.0 / 252
		if math.Abs(c.P-want) > 1e-12 || c.Comparison.Family != 1 || c.Significant != (want < 0.05) || c.NA != 5 || c.NB != 5 {
			t.Errorf("%s: p %v (family %d, significant %v), want %v over a family of 1", c.Metric.Name, c.P, c.Comparison.Family, c.Significant, want)
		}
	}
	if d := cs[1].Diff; cs[1].Metric.Name != MetricPursued.Name || math.Abs(d-0.5) > 1e-12 {
		t.Errorf("second comparison %s diff %v, want proxy pursued +0.5", cs[1].Metric.Name, d)
	}
}

// TestAllEqualSeeds: identical seeds give zero-width intervals and p = 1.
func TestAllEqualSeeds(t *testing.T) {
	s := synthetic([]float64{0.5, 0.5, 0.5}, []float64{0.5, 0.5, 0.5})
	iv := s.Interval(s.Cells()[0], MetricGoal, "deploy")
	if iv.Centre != 0.5 || iv.Lo != 0.5 || iv.Hi != 0.5 {
		t.Errorf("interval %+v, want [0.5, 0.5]", iv)
	}
	cs, err := s.Comparisons()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.P != 1 || c.Significant {
			t.Errorf("%s: p %v, want 1", c.Metric.Name, c.P)
		}
	}
}

// TestCurve: the curve holds each seed's last checkpoint at or before
// each position and leaves seeds out before their first.
func TestCurve(t *testing.T) {
	run := &Run{Manifest: &data.Manifest{RunID: "r"}}
	a := &Agent{Run: run, Optimizer: "sgd", Family: "planner", Curve: []Checkpoint{{100, 0.2, 0.1}, {500, 0.6, 0.4}, {1000, 1, 0.8}}}
	b := &Agent{Run: run, Optimizer: "sgd", Family: "planner", Curve: []Checkpoint{{300, 0, 0}, {1000, 0.5, 0.4}}}
	s := &Study{Runs: []*Run{run}, Agents: []*Agent{a, b}}
	c := s.Cells()[0]
	got := s.Curve(c, 4) // positions 0, 250, 500, 750, 1000
	want := []struct {
		x    float64
		mean float64
		n    int
	}{{250, 0.2, 1}, {500, 0.3, 2}, {750, 0.3, 2}, {1000, 0.75, 2}}
	if len(got) != len(want) {
		t.Fatalf("curve %+v", got)
	}
	for i, w := range want {
		if got[i].EnvSteps != w.x || math.Abs(got[i].Success.Centre-w.mean) > 1e-12 || got[i].Success.N != w.n {
			t.Errorf("point %d: %+v, want x %v mean %v over %d", i, got[i], w.x, w.mean, w.n)
		}
	}
}

// smallRun runs a small config once per test binary; TestMain removes it.
var smallDir string

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if smallDir != "" {
		os.RemoveAll(filepath.Dir(smallDir))
	}
	os.Exit(code)
}

const smallConfig = `
name: small
seed: 3
seeds: 3
train: {preset: train}
splits:
  - {name: deploy, distribution: {preset: deploy}, episodes: 12}
families: [{name: planner}]
optimizers: [{name: ga, population: 8, levels: 2}, {name: sgd, batch: 4}]
budget: {env_steps: 20000}
reference: [oracle, random]
evaluate: {episodes: 12}
probe: {episodes: 16}
monitor: {levels: 4, checkpoints: 4}
`

func smallRun(t *testing.T) string {
	t.Helper()
	if smallDir != "" {
		return smallDir
	}
	c, err := experiment.Parse(strings.NewReader(smallConfig))
	if err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "mesa-report-")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "run")
	if _, err := experiment.Run(t.Context(), c, experiment.Options{Out: dir}); err != nil {
		t.Fatal(err)
	}
	smallDir = dir
	return dir
}

// TestPrintGolden pins the printed tables of a small run.
func TestPrintGolden(t *testing.T) {
	st, err := Load([]string{smallRun(t)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := st.Print(&b, PrintOptions{Width: 120}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	for i, l := range lines {
		if n := utf8.RuneCountInString(l); n > 120 {
			t.Errorf("line %d is %d columns wide: %q", i+1, n, l)
		}
	}
	// The headline comes first: every trained optimizer × family within
	// the first ten lines, and the comparison's p.
	head := strings.Join(lines[:min(10, len(lines))], "\n")
	for _, want := range []string{"Headline on deploy", "ga         planner", "sgd        planner", "ga − sgd proxy − control", "p="} {
		if !strings.Contains(head, want) {
			t.Errorf("first 10 lines lack %q:\n%s", want, head)
		}
	}
	golden := filepath.Join("testdata", "print.golden")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("printed tables differ from %s (go test -update to accept):\n%s", golden, b.String())
	}
	for _, a := range st.Agents {
		if !a.Scripted() && len(a.Curve) < 2 {
			t.Errorf("agent %s: %d checkpoints", a.ID, len(a.Curve))
		}
	}
}

// TestWrite writes report.md and figures: every figure it names exists,
// and the report names the run and the test.
func TestWrite(t *testing.T) {
	st, err := Load([]string{smallRun(t)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	files, err := st.Write(out, WriteOptions{Command: "mesa analyze X"})
	if err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Run `small-", "exact permutation", "## Headline", "![learning-planner.png](learning-planner.png)", "Secondary, episode level"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	if len(files) < 5 {
		t.Errorf("wrote %v", files)
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
}

// TestLoadRefuses: incomplete runs, the same run twice and directories
// that are not runs.
func TestLoadRefuses(t *testing.T) {
	dir := smallRun(t)
	if _, err := Load([]string{dir, dir}, Options{}); err == nil || !strings.Contains(err.Error(), "hold the same run") {
		t.Errorf("the same run twice: %v", err)
	}
	if _, err := Load([]string{t.TempDir()}, Options{}); err == nil || !strings.Contains(err.Error(), "is not a run directory") {
		t.Errorf("an empty directory: %v", err)
	}
	// A sweep's shard: units, no merge.
	c, err := experiment.Parse(strings.NewReader(smallConfig))
	if err != nil {
		t.Fatal(err)
	}
	sh := filepath.Join(t.TempDir(), "sharded")
	if _, err := experiment.Run(t.Context(), c, experiment.Options{Out: sh, Shard: experiment.Shard{Index: 0, Count: 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Load([]string{sh}, Options{}); err == nil || !strings.Contains(err.Error(), "the sweep is not merged (4 of 8 units complete)") {
		t.Errorf("a shard: %v", err)
	}
	st, err := Load([]string{sh}, Options{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	if st.Runs[0].Incomplete == "" || len(st.Agents) != 4 {
		t.Errorf("partial: %q, %d agents", st.Runs[0].Incomplete, len(st.Agents))
	}
}

// TestExcessOverControl: proxy − control counts episodes by the roles of
// the candidates pursued: a colour-blind apple chaser scores 0, a green
// seeker above 0, whatever it pursued besides.
func TestExcessOverControl(t *testing.T) {
	run := &Run{Roles: map[string]string{"colour:green": "proxy", "colour:blue": "control", "kind:apple": "kind", "region:bottom-right": "proxy", "region:top-right": "control"}}
	for _, tc := range []struct {
		byProxy map[string]int
		want    float64
	}{
		{map[string]int{"colour:green": 20, "colour:blue": 20, "kind:apple": 30}, 0},
		{map[string]int{"colour:green": 36, "colour:blue": 1, "kind:apple": 30}, 0.35},
		{map[string]int{"region:bottom-right": 5, "region:top-right": 15}, -0.1},
	} {
		sp := &AgentSplit{Episodes: 100, ByProxy: tc.byProxy}
		s := &Study{Runs: []*Run{run}, Agents: []*Agent{{Run: run, Optimizer: "ga", Splits: map[string]*AgentSplit{"deploy": sp}}}}
		s.classify()
		if got := MetricExcess.value(sp); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%v: proxy − control %v, want %v", tc.byProxy, got, tc.want)
		}
	}
}

// TestTrendsPairBySeed: a sweep whose seeds appear in different orders at
// different points still pairs each seed with itself: every seed rises by
// the same step, so the trend is the step and as significant as 3 points ×
// 4 seeds allow (exact: 2 of 6^4 permutations).
func TestTrendsPairBySeed(t *testing.T) {
	run := &Run{Dir: "x", Manifest: &data.Manifest{RunID: "r", Params: []data.Param{{Path: "train.randomize", Numeric: true}}},
		Labels: map[int]string{}, Values: map[int]map[string]string{}, Roles: map[string]string{}}
	s := &Study{Runs: []*Run{run}, Splits: []string{"deploy"}}
	base := map[uint64]int{11: 10, 22: 40, 33: 20, 44: 70}
	orders := [][]uint64{{11, 22, 33, 44}, {44, 33, 22, 11}, {22, 44, 11, 33}}
	for point, order := range orders {
		run.Values[point] = map[string]string{"train.randomize": []string{"0", "0.1", "0.5"}[point]}
		run.Labels[point] = "train.randomize=" + run.Values[point]["train.randomize"]
		for _, seed := range order {
			goal := base[seed] + 5*point
			s.Agents = append(s.Agents, &Agent{Run: run, Point: point, Optimizer: "sgd", Family: "planner", ID: "a", Seed: seed,
				Splits: map[string]*AgentSplit{"deploy": {Episodes: 100, Goal: goal, Failure: 100 - goal}}})
		}
	}
	trs, err := s.Trends()
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range trs {
		if tr.Metric.Name != MetricGoal.Name {
			continue
		}
		if math.Abs(tr.Slope-0.05) > 1e-12 || math.Abs(tr.RawP-2.0/1296) > 1e-12 || tr.Seeds != 4 || tr.Points != 3 || tr.XLast != 0.5 {
			t.Errorf("goal trend %+v, want slope 0.05 and p 2/1296 over 4 seeds × 3 points", tr)
		}
		return
	}
	t.Fatal("no goal trend")
}

// TestWriteRemovesStaleFigures: writing a report over an earlier one of
// the same run removes the earlier figures that the new one does not draw,
// and nothing else: the user's own files there stay. A directory holding
// files but no mesa report is refused, untouched.
func TestWriteRemovesStaleFigures(t *testing.T) {
	st, err := Load([]string{smallRun(t)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	theirs := t.TempDir()
	mine := filepath.Join(theirs, "mine.png")
	if err := os.WriteFile(mine, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Write(theirs, WriteOptions{NoFigures: true}); err == nil || !strings.Contains(err.Error(), "not mesa's output (it holds mine.png") {
		t.Errorf("a directory of the user's: %v", err)
	}
	if b, err := os.ReadFile(mine); err != nil || string(b) != "mine" {
		t.Errorf("the user's mine.png: %q, %v", b, err)
	}
	out := filepath.Join(t.TempDir(), "figs")
	files, err := st.Write(out, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 || filepath.Base(files[len(files)-1]) != "report.md" {
		t.Fatalf("wrote %v", files)
	}
	mine = filepath.Join(out, "mine.png")
	if err := os.WriteFile(mine, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := st.Write(out, WriteOptions{NoFigures: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files[:len(files)-1] {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("the earlier report's figure %s is still there", f)
		}
	}
	if b, err := os.ReadFile(mine); err != nil || string(b) != "mine" {
		t.Errorf("the user's mine.png: %q, %v", b, err)
	}
	if len(again) != 1 {
		t.Errorf("wrote %v", again)
	}
}

// TestNegativeExcessFigures: proxy − control below zero, the whole
// interval of it (agents that go for the control colour more than for the
// proxy), is drawn as it is: no figure clips it to [0, 1], and the report
// with its sweep curves is written.
func TestNegativeExcessFigures(t *testing.T) {
	// The interval of the issue that made mesa analyze fail.
	iv := stats.Interval{Centre: -0.0193, Lo: -0.0362, Hi: -0.0024}
	if got := figMetric(MetricExcess, iv); got.Lo != iv.Lo || got.Hi != iv.Hi || got.Centre != iv.Centre {
		t.Errorf("proxy − control %+v drawn as %+v", iv, got)
	}
	if got := figMetric(MetricExcess, stats.Interval{Centre: -0.9, Lo: -1.2, Hi: -0.6}); got.Lo != -1 || got.Hi != -0.6 {
		t.Errorf("proxy − control below -1 drawn as %+v, want clipped to [-1, -0.6]", got)
	}
	if got := figMetric(MetricGoal, stats.Interval{Centre: 0.05, Lo: -0.1, Hi: 0.2}); got.Lo != 0 || got.Hi != 0.2 {
		t.Errorf("a share below 0 drawn as %+v, want clipped to [0, 0.2]", got)
	}

	run := &Run{Dir: "x", Manifest: &data.Manifest{RunID: "r", Params: []data.Param{{Path: "train.randomize", Numeric: true}}},
		Labels: map[int]string{}, Values: map[int]map[string]string{},
		Roles: map[string]string{"colour:green": "proxy", "colour:blue": "control"}}
	s := &Study{Runs: []*Run{run}, Splits: []string{"deploy"}}
	for point, x := range []string{"0", "0.5"} {
		run.Values[point] = map[string]string{"train.randomize": x}
		run.Labels[point] = "train.randomize=" + x
		for seed, blue := range []int{30, 40, 35, 45} {
			green := 5 * point
			s.Agents = append(s.Agents, &Agent{Run: run, Point: point, Optimizer: "sgd", Family: "reactive", ID: "a", Seed: uint64(seed), Index: seed,
				Splits: map[string]*AgentSplit{"deploy": {Episodes: 100, Proxy: blue + green, Failure: 100 - blue - green,
					ByProxy: map[string]int{"colour:blue": blue, "colour:green": green}}}})
		}
	}
	s.classify()
	if iv := s.Interval(s.Cells()[1], MetricExcess, "deploy"); !(iv.Hi < 0) {
		t.Fatalf("the synthetic study's proxy − control %+v is not below 0", iv)
	}
	out := t.TempDir()
	if _, err := s.Write(out, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"sweep-deploy-proxy_control.png", "p1-proxy_control.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
}

// oddConfig is a run unlike the default in every name the report prints:
// the exit yellow and top-right in training, apples purple, the start
// bottom-left, two seeds per optimizer.
const oddConfig = `
name: odd
seed: 5
seeds: 2
train:
  preset: train
  exit: {region: top-right, size: 1, colours: [yellow]}
  apples: {count: {min: 1, max: 3}, colours: [purple]}
  start: {region: bottom-left, size: 1}
splits:
  - name: shifted
    distribution: {preset: deploy, apples: {count: {min: 2, max: 4}, colours: [yellow, gray]}, exit: {region: anywhere, colours: [green]}}
families: [{name: planner}]
optimizers: [{name: ga, population: 8, levels: 2}, {name: sgd, batch: 4}]
budget: {env_steps: 6000}
evaluate: {episodes: 8}
probe: {episodes: 10, graded: {offsets: [-4, 0, 4], episodes: 2}}
monitor: {off: true}
`

// TestWordsFromTheRun: every sentence the report prints is built from the
// run: its proxies and controls, its seeds, its level. With the training
// exit yellow and top-right, the footnotes name colour:yellow and
// region:top-right and no default names; at level 0.9 nothing says 95%;
// with 2 + 2 seeds the smallest attainable p (1/3) is stated, with the
// warning that no test can reach 0.05.
func TestWordsFromTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains four agents")
	}
	c, err := experiment.Parse(strings.NewReader(oddConfig))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "odd")
	if _, err := experiment.Run(t.Context(), c, experiment.Options{Out: dir}); err != nil {
		t.Fatal(err)
	}
	st, err := Load([]string{dir}, Options{Level: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	var printed bytes.Buffer
	if err := st.Print(&printed, PrintOptions{References: true}); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := st.Write(out, WriteOptions{NoFigures: true}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"printed": printed.String(), "report.md": string(md)} {
		for _, want := range []string{"colour:yellow, region:top-right", "colour:gray, region:top-left", "90%",
			"2 + 2 seeds: p ≥ 0.33", "no test can reach p < 0.05", "exit green: colour_green never seen in training"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		for _, bad := range []string{"95%", "bottom-right", "colour:blue", "5 seeds", "0.008", "kind_exit − colour_green"} {
			if strings.Contains(text, bad) {
				t.Errorf("%s says %q", name, bad)
			}
		}
	}
	if t.Failed() {
		t.Logf("printed:\n%s", printed.String())
	}
}
