package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mesa-alignment/mesa/data"
)

var update = flag.Bool("update", false, "rewrite testdata/*.stdout")

func mesa(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(t.Context(), args, &out, &errb)
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}

// TestGolden compares the output of commands whose output is fixed with
// testdata/<name>.stdout (regenerate with go test ./cli -update), at the
// width of a stdout that is no terminal (COLUMNS unset).
func TestGolden(t *testing.T) {
	t.Setenv("COLUMNS", "")
	tests := []struct {
		name string
		args []string
	}{
		{"presets", []string{"presets"}},
		{"render", []string{"render", "--level", "testdata/green-exit.level"}},
		{"help", []string{"help"}},
		{"deception", []string{"deception"}}, // the talk's game: B,B,A,A,A
		{"deception-modify", []string{"deception", "--modify", "0.2", "--deploy", "3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := mesa(t, tt.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden(t, tt.name, out)
		})
	}
}

// TestBadInput: whatever a user types, mesa answers with one line naming
// the problem and exit code 1 or 2, never a panic.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badCfg := write("bad.yaml", "name: x\ntrain: {preset: train, exit: {region: botom-right, size: 1}}\n")
	badLevel := write("bad.level", "mesa-level v1 steps=3\n#####\n#SxG#\n#####\n")
	garbage := write("episodes.arrow", "not an arrow file")
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"frobnicate"}, 2, `mesa: unknown command "frobnicate"`},
		{[]string{"run", "--preset", "nope"}, 2, `mesa: unknown preset "nope"`},
		{[]string{"run", "--workers", "-1"}, 2, "mesa: run: --workers -1 must be >= 0"},
		{[]string{"run", "--wrokers", "2"}, 2, "mesa: run: flag provided but not defined: -wrokers (see mesa run -h)\n"},
		{[]string{"run", "--workers", "two"}, 2, `mesa: run: invalid value "two" for flag -workers`},
		{[]string{"run", "--config", badCfg}, 1, `mesa: ` + badCfg + `: config: train.exit.region: unknown region "botom-right"`},
		{[]string{"run", "--config", filepath.Join(dir, "missing.yaml")}, 1, "mesa: open " + filepath.Join(dir, "missing.yaml")},
		{[]string{"render"}, 2, "mesa: render: give --level FILE or --run DIR"},
		{[]string{"render", "--level", badLevel}, 1, "mesa: " + badLevel + ": line 3, column 3: unknown cell 'x'"},
		{[]string{"export"}, 2, "mesa: export: give the run directory"},
		{[]string{"export", dir, "--format", "xlsx"}, 2, `mesa: export: --format "xlsx"`},
		{[]string{"export", filepath.Join(dir, "nothing")}, 1, "mesa: "},
		{[]string{"export", dir}, 1, "mesa: "},
		{[]string{"presets", "extra"}, 2, `mesa: presets: unexpected argument "extra"`},
		// Raw bytes of what the user typed are escaped, never echoed.
		{[]string{"run", "--config", filepath.Join(dir, "\xff\x1b.yaml")}, 1, "mesa: open " + filepath.Join(dir, `\xff\x1b.yaml`)},
		{[]string{"run", "--set", "\xff=1"}, 1, `mesa: preset green-exit: config: --set "\xff": config path "\xff": bad key "\xff"`},
		{[]string{"run", "--set", "seed=1\n---\nseed: 2"}, 1, `mesa: preset green-exit: config: --set seed: value "1\n---\nseed: 2": line 2: a second YAML document starts here`},
		{[]string{"frobnicate\xff"}, 2, `mesa: unknown command "frobnicate\xff"`},
	}
	_ = garbage
	for _, tt := range tests {
		_, errOut, code := mesa(t, tt.args...)
		if code != tt.code || !strings.HasPrefix(errOut, tt.want) {
			t.Errorf("mesa %v: exit %d, stderr %q; want exit %d, stderr prefix %q", tt.args, code, errOut, tt.code, tt.want)
		}
		if !utf8.ValidString(errOut) || strings.Contains(errOut, "\x1b") {
			t.Errorf("mesa %v: stderr %q holds raw bytes", tt.args, errOut)
		}
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		if len(lines) != 1 && !strings.Contains(tt.want, "unknown command") {
			t.Errorf("mesa %v: error is not one line: %q", tt.args, errOut)
		}
	}
}

// TestRunSmoke runs the smoke preset end to end, then exports it.
func TestRunSmoke(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	out, errOut, code := mesa(t, "run", "--preset", "smoke", "--out", dir, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"run smoke-", "optimizer", "goal", "none", "oracle", "deploy"} {
		if !strings.Contains(out, want) {
			t.Errorf("run output lacks %q:\n%s", want, out)
		}
	}
	// The same command on the directory continues the run: here, it is
	// complete, and the tables come out again.
	if again, errOut, code := mesa(t, "run", "--preset", "smoke", "--out", dir, "--quiet"); code != 0 || again != out {
		t.Errorf("the same command again: exit %d, %q; output changed: %t", code, errOut, again != out)
	}
	// Another config is refused, naming the run there.
	if _, errOut, code := mesa(t, "run", "--preset", "smoke", "--set", "seed=2", "--out", dir, "--quiet"); code != 1 || !strings.Contains(errOut, "--overwrite") || !strings.Contains(errOut, "smoke-") {
		t.Errorf("another config into the directory: exit %d, %q", code, errOut)
	}
	for _, format := range []string{"parquet", "csv"} {
		out, errOut, code := mesa(t, "export", dir, "--format", format)
		if code != 0 {
			t.Fatalf("export %s: exit %d: %s", format, code, errOut)
		}
		if n := strings.Count(out, "\n"); n < 3 {
			t.Errorf("export %s wrote %d files:\n%s", format, n, out)
		}
	}
}

// TestExportPartial: a partial run (killed: no finished table;
// interrupted: every table finished as partial) is never exported
// silently. Without --partial it is exit code 1 and one line naming the
// directory and the run's status; with it, the finished tables are
// exported under names that say partial, and stderr says so.
func TestExportPartial(t *testing.T) {
	info := data.RunInfo{RunID: "r"}
	killed := t.TempDir()
	if _, err := data.Create(killed, info, data.Options{}); err != nil { // never closed
		t.Fatal(err)
	}
	interrupted := t.TempDir()
	w, err := data.Create(interrupted, info, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(errors.New("context canceled")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{[]string{"export", killed}, 1, nil,
			"mesa: data: export: " + killed + ": run r is partial: not closed: the run is in progress, or was killed (mesa export --partial exports its finished tables)\n"},
		{[]string{"export", interrupted, "--format", "csv"}, 1, nil,
			"mesa: data: export: " + interrupted + ": run r is partial: context canceled (mesa export --partial exports its finished tables)\n"},
		{[]string{"export", killed, "--partial"}, 1, nil,
			"mesa: data: export: " + killed + ": run r is partial: not closed: the run is in progress, or was killed, and has no finished table\n"},
		{[]string{"export", interrupted, "--partial"}, 0, []string{"episodes", "training", "agents", "attribution"},
			"mesa: export: " + interrupted + ": run r is partial: exported its 4 finished tables only\n"},
	}
	for _, tt := range tests {
		out, errOut, code := mesa(t, tt.args...)
		if code != tt.code || errOut != tt.stderr {
			t.Errorf("mesa %v: exit %d, stderr %q\nwant exit %d, stderr %q", tt.args, code, errOut, tt.code, tt.stderr)
		}
		var want string
		for _, table := range tt.stdout {
			want += filepath.Join(interrupted, "parquet", table+".partial.parquet") + "\n"
		}
		if out != want {
			t.Errorf("mesa %v: stdout %q, want %q", tt.args, out, want)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		flag string
		env  map[string]string
		want string // "" for no shard
		err  string
	}{
		{"", nil, "", ""},
		{"1/4", nil, "1/4", ""},
		{"0/1", nil, "", ""},
		{"", map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"}, "3/4", ""},
		{"", map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "2", "SLURM_ARRAY_TASK_COUNT": "4"}, "3/4", ""},
		{"", map[string]string{"JOB_COMPLETION_INDEX": "2", "MESA_SHARD_COUNT": "3"}, "2/3", ""},
		{"2/3", map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "4"}, "2/3", ""},
		{"4/4", nil, "", "shard 4/4: want 0 <= I < N"},
		{"1-4", nil, "", `--shard "1-4": want I/N`},
		{"a/4", nil, "", `--shard "a" is not a count`},
		{"", map[string]string{"SLURM_ARRAY_TASK_ID": "1"}, "", `SLURM_ARRAY_TASK_COUNT "" is not a count`},
		{"", map[string]string{"JOB_COMPLETION_INDEX": "1"}, "", "set MESA_SHARD_COUNT"},
	} {
		sh, err := parseShard(tt.flag, func(k string) string { return tt.env[k] })
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q %v: %v, want an error containing %q", tt.flag, tt.env, err, tt.err)
			}
		case err != nil:
			t.Errorf("%q %v: %v", tt.flag, tt.env, err)
		case tt.want == "" && sh.Count != 0, tt.want != "" && sh.String() != tt.want:
			t.Errorf("%q %v: shard %v, want %q", tt.flag, tt.env, sh, tt.want)
		}
	}
}

// TestSweepCommand plans, shards and merges a small sweep through the CLI.
func TestSweepCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sweep.yaml")
	text := "name: s\nseed: 1\ntrain: {preset: train}\nsplits: [{name: deploy, distribution: {preset: deploy}, episodes: 3}]\n" +
		"families: [{name: planner}]\noptimizers: [{name: sgd, batch: 4}]\nbudget: {env_steps: 500}\nprobe: {episodes: 4}\n" +
		"sweep: {train.randomize: [0, 0.5]}\n"
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	plan, errOut, code := mesa(t, "sweep", "plan", "--config", cfg)
	if code != 0 || !strings.Contains(plan, "2 sweep points, 2 units") || !strings.Contains(plan, "p1/sgd/planner/s0  train.randomize=0.5  to do") {
		t.Fatalf("sweep plan: exit %d %s\n%s", code, errOut, plan)
	}
	if csvPlan, _, code := mesa(t, "sweep", "plan", "--config", cfg, "--format", "csv"); code != 0 || !strings.HasPrefix(csvPlan, "unit,point,status\np0/sgd/planner/s0,train.randomize=0,to do\n") {
		t.Errorf("sweep plan --format csv: exit %d\n%s", code, csvPlan)
	}
	var jp struct {
		Units []struct{ Unit, Point, Status string }
	}
	if jsonPlan, _, code := mesa(t, "sweep", "plan", "--config", cfg, "--format", "json"); code != 0 || json.Unmarshal([]byte(jsonPlan), &jp) != nil || len(jp.Units) != 2 || jp.Units[1].Unit != "p1/sgd/planner/s0" {
		t.Errorf("sweep plan --format json: exit %d\n%s", code, jsonPlan)
	}
	if _, errOut, code := mesa(t, "sweep", "--config", cfg); code != 2 || !strings.Contains(errOut, "give --out DIR") {
		t.Errorf("sweep without --out: exit %d, %q", code, errOut)
	}
	res, errOut, code := mesa(t, "sweep", "--config", cfg, "--out", out, "--shard", "1/2", "--quiet")
	if code != 0 || !strings.Contains(res, "shard 1/2 done; 1 of 2 units complete") {
		t.Fatalf("shard 1/2: exit %d %s\n%s", code, errOut, res)
	}
	plan, _, _ = mesa(t, "sweep", "--config", cfg, "--out", out, "--dry-run")
	if !strings.Contains(plan, "p1/sgd/planner/s0  train.randomize=0.5  complete") || !strings.Contains(plan, "1 of 2 complete") {
		t.Errorf("dry run after shard 1/2:\n%s", plan)
	}
	// The plan of another config on the directory is refused, as the
	// sweep would be, naming the field and the --set of the run's.
	for _, cmd := range [][]string{{"sweep", "plan"}, {"sweep"}} {
		_, errOut, code := mesa(t, append(cmd, "--config", cfg, "--out", out, "--set", "seed=2", "--quiet")...)
		if code != 1 || !strings.Contains(errOut, "seed: 1 there, 2 here") || !strings.Contains(errOut, "--set seed=1 reproduces the run's") {
			t.Errorf("%v with another seed: exit %d, %q", cmd, code, errOut)
		}
	}
	res, errOut, code = mesa(t, "sweep", "--config", cfg, "--out", out)
	if code != 0 || !strings.Contains(res, "run s-") || !strings.Contains(errOut, "1 complete, 1 to run here") {
		t.Errorf("merge: exit %d, stderr %q\n%s", code, errOut, res)
	}
	// Every table is printed per sweep point, labelled by its values.
	for _, want := range []string{"\ntrain.randomize=0    sgd        planner  deploy  1", "\ntrain.randomize=0.5  sgd        planner  deploy  1",
		"\ntrain.randomize=0.5  sgd        planner  1       random 1/1"} {
		if !strings.Contains(res, want) {
			t.Errorf("merged run's tables lack %q:\n%s", want, res)
		}
	}
}

// TestTuneGC: mesa's GOGC and memory limit apply unless the environment
// sets GOGC or GOMEMLIMIT, and no limit is set when the machine's memory
// is unknown.
func TestTuneGC(t *testing.T) {
	for _, tc := range []struct {
		name      string
		env       map[string]string
		machine   int64
		wantGC    int   // -1: not set
		wantLimit int64 // -1: not set
	}{
		{"defaults", nil, 10 << 30, gcPercent, int64(memoryLimitShare * float64(10<<30))},
		{"GOGC set", map[string]string{"GOGC": "100"}, 10 << 30, -1, int64(memoryLimitShare * float64(10<<30))},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, 10 << 30, gcPercent, -1},
		{"both set", map[string]string{"GOGC": "off", "GOMEMLIMIT": "1GiB"}, 10 << 30, -1, -1},
		{"machine unknown", nil, 0, gcPercent, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gotGC, gotLimit := -1, int64(-1)
			tuneGC(func(k string) string { return tc.env[k] },
				func(p int) int { gotGC = p; return 100 },
				func(b int64) int64 { gotLimit = b; return 0 }, tc.machine)
			if gotGC != tc.wantGC || gotLimit != tc.wantLimit {
				t.Errorf("GOGC %d, limit %d; want %d, %d", gotGC, gotLimit, tc.wantGC, tc.wantLimit)
			}
		})
	}
}
