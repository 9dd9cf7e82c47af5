package experiment

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/data/datatest"
)

// unitsConfig is a small sweep: 2 points × (2 optimizers × 2 seeds + a
// reference) = 10 units, steps recorded.
const unitsConfig = `
name: units
seed: 5
seeds: 2
train: {preset: train}
splits:
  - {name: deploy, distribution: {preset: deploy}, episodes: 6}
families: [{name: planner}]
optimizers: [{name: ga, population: 8, levels: 2}, {name: sgd, batch: 4}]
budget: {env_steps: 3000}
reference: [oracle]
evaluate: {episodes: 6}
probe: {episodes: 8}
record: {steps: true}
sweep:
  train.randomize: [0, 0.5]
`

func unitsCfg(t testing.TB) *Config {
	t.Helper()
	c, err := Parse(strings.NewReader(unitsConfig))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runFiles are the files of a merged run that must not depend on how it
// was run.
var runFiles = []string{"plan.json", "manifest.json", "episodes.arrow", "training.arrow", "agents.arrow", "attribution.arrow", "steps.arrow"}

// sameRun fails unless dirs a and b hold byte-identical runs.
func sameRun(t *testing.T, a, b, what string) {
	t.Helper()
	datatest.SameFiles(t, a, b, what, runFiles...)
}

// reference runs the units config, uninterrupted and unsharded, once per
// test binary.
var referenceDir string

func referenceRun(t *testing.T) string {
	t.Helper()
	if referenceDir != "" {
		return referenceDir
	}
	dir, err := os.MkdirTemp("", "mesa-units-reference-")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(t.Context(), unitsCfg(t), Options{Out: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Complete || res.Units != 10 || res.Done != 10 {
		t.Fatalf("reference run: %+v", res)
	}
	referenceDir = dir
	return dir
}

func TestMain(m *testing.M) {
	if dir := os.Getenv("MESA_TEST_CHILD_RUN"); dir != "" {
		os.Exit(childRun(dir))
	}
	code := m.Run()
	for _, dir := range []string{referenceDir, replayDir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// childRun runs the units config into dir as `mesa` would, in a child
// process of the test: SIGTERM cancels it, and MESA_TEST_KILL_AT names a
// moment of the merge at which it kills itself.
func childRun(dir string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	kill, pause := os.Getenv("MESA_TEST_KILL_AT"), os.Getenv("MESA_TEST_PAUSE_AT")
	testHook = func(moment string) {
		switch moment {
		case kill:
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Minute)
		case pause:
			time.Sleep(2 * time.Second)
		}
	}
	c, err := Parse(strings.NewReader(unitsConfig))
	if err == nil {
		_, err = Run(ctx, c, Options{Out: dir, Workers: 2})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func child(t *testing.T, dir string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, "MESA_TEST_CHILD_RUN="+dir)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestShardsMergeToTheSameRun: the shards of a plan, run separately into
// one directory in shuffled order and with different worker counts, then
// merged, give the unsharded run byte for byte.
func TestShardsMergeToTheSameRun(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("runs the units config several times")
	}
	ref := referenceRun(t)
	dir := t.TempDir()
	c := unitsCfg(t)
	for k, i := range []int{2, 0, 1} {
		res, err := Run(t.Context(), c, Options{Out: dir, Shard: Shard{Index: i, Count: 3}, Workers: 1 + k%2})
		if err != nil {
			t.Fatal(err)
		}
		if res.Complete {
			t.Errorf("shard %d/3 merged", i)
		}
		if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
			t.Errorf("shard %d/3 wrote the run's manifest", i)
		}
	}
	res, err := Run(t.Context(), c, Options{Out: dir})
	if err != nil || !res.Complete {
		t.Fatalf("merge after the shards: %+v, %v", res, err)
	}
	sameRun(t, ref, dir, "sharded")
}

// TestKillAndResume: a run killed with SIGKILL at any moment — while units
// run, between them, while the tables are merged and published — and then
// continued by the same command ends byte-identical to an uninterrupted
// run.
func TestKillAndResume(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("kills and resumes the units config a dozen times")
	}
	ref := referenceRun(t)
	c := unitsCfg(t)
	// How long an uninterrupted child takes, to spread the kills over it.
	start := time.Now()
	warm := child(t, t.TempDir())
	if err := warm.Wait(); err != nil {
		t.Fatalf("child run: %v", err)
	}
	full := time.Since(start)
	rng := rand.New(rand.NewPCG(7, 7))
	type trial struct {
		delay time.Duration
		at    string
	}
	var trials []trial
	for i := range 10 {
		// Random moments, spread over the whole run.
		f := (float64(i) + rng.Float64()) / 10
		trials = append(trials, trial{delay: time.Duration(f * float64(full))})
	}
	for _, at := range mergeMoments {
		trials = append(trials, trial{at: at})
	}
	for _, tr := range trials {
		what := fmt.Sprintf("killed after %v", tr.delay.Round(time.Millisecond))
		if tr.at != "" {
			what = "killed at " + tr.at
		}
		dir := t.TempDir()
		cmd := child(t, dir, "MESA_TEST_KILL_AT="+tr.at)
		if tr.at == "" {
			time.Sleep(tr.delay)
			_ = cmd.Process.Kill()
		}
		_ = cmd.Wait()
		res, err := Run(t.Context(), c, Options{Out: dir})
		if err != nil || !res.Complete {
			t.Fatalf("%s, then resumed: %+v, %v", what, res, err)
		}
		sameRun(t, ref, dir, what)
	}
}

// TestSIGTERMStopsCleanly: SIGTERM, what Slurm and Kubernetes send, stops a
// run with an error, and the same command then completes it, the same
// bytes.
func TestSIGTERMStopsCleanly(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("runs the units config in a child process")
	}
	ref := referenceRun(t)
	dir := t.TempDir()
	// The child pauses while it merges, so that the signal lands mid-run.
	cmd := child(t, dir, "MESA_TEST_PAUSE_AT=merge-writing")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if stage, _ := filepath.Glob(filepath.Join(dir, ".merge-*")); len(stage) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never started merging")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("child after SIGTERM: %v, want exit code 1 (stopped)", err)
	}
	res, err := Run(t.Context(), unitsCfg(t), Options{Out: dir})
	if err != nil || !res.Complete {
		t.Fatalf("resumed after SIGTERM: %+v, %v", res, err)
	}
	sameRun(t, ref, dir, "SIGTERM, then resumed")
}

// TestOneWriterPerDirectory: a second whole run into a directory that a
// run is writing is refused at once, naming the holder.
func TestOneWriterPerDirectory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("runs the units config in a child process")
	}
	dir := t.TempDir()
	cmd := child(t, dir)
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, PlanFile)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never wrote its plan")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err := Run(t.Context(), unitsCfg(t), Options{Out: dir})
	if err == nil || !strings.Contains(err.Error(), "is being written by") || !strings.Contains(err.Error(), fmt.Sprint(cmd.Process.Pid)) {
		t.Errorf("a second writer: %v; want a refusal naming pid %d", err, cmd.Process.Pid)
	}
}

// TestSweepParamColumns: every merged table carries the sweep point and a
// param.train.randomize column whose value is the point's, and the
// manifest lists the points.
func TestSweepParamColumns(t *testing.T) {
	dir := referenceRun(t)
	m, err := data.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Params) != 1 || m.Params[0].Path != "train.randomize" || !m.Params[0].Numeric {
		t.Fatalf("manifest params %+v", m.Params)
	}
	want := map[int]float64{0: 0, 1: 0.5}
	for k, v := range want {
		p, ok := m.Point(k)
		if !ok || p.Values["train.randomize"] != strconv.FormatFloat(v, 'g', -1, 64) {
			t.Errorf("manifest point %d: %+v, %v", k, p, ok)
		}
	}
	for _, name := range []string{"episodes.arrow", "training.arrow", "agents.arrow", "attribution.arrow", "steps.arrow"} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		rd, err := ipc.NewFileReader(f)
		if err != nil {
			t.Fatal(err)
		}
		schema := rd.Schema()
		pi, vi := schema.FieldIndices("point"), schema.FieldIndices("param.train.randomize")
		if len(pi) != 1 || len(vi) != 1 {
			t.Fatalf("%s: columns point %v, param.train.randomize %v", name, pi, vi)
		}
		seen := map[int]bool{}
		for i := 0; i < rd.NumRecords(); i++ {
			rec, err := rd.RecordBatch(i)
			if err != nil {
				t.Fatal(err)
			}
			pts := rec.Column(pi[0]).(*array.Int32)
			vals := rec.Column(vi[0]).(*array.Float64)
			for j := 0; j < int(rec.NumRows()); j++ {
				k := int(pts.Value(j))
				seen[k] = true
				if vals.Value(j) != want[k] {
					t.Fatalf("%s row %d: point %d has randomize %v, want %v", name, j, k, vals.Value(j), want[k])
				}
			}
		}
		if !seen[0] || !seen[1] {
			t.Errorf("%s: points seen %v, want 0 and 1", name, seen)
		}
		rd.Close()
		f.Close()
	}
}
