package experiment

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/world"
)

// replayConfig is a small sweep for the replay tests: 2 points × (2
// optimizers × 2 families + 2 references) = 12 units, every split of the
// evaluation (deploy and the probes), steps recorded.
const replayConfig = `
name: replay
seed: 11
seeds: 1
train: {preset: train}
splits:
  - {name: deploy, distribution: {preset: deploy}, episodes: 5}
families: [{name: planner}, {name: reactive}]
optimizers: [{name: ga, population: 6, levels: 2}, {name: sgd, batch: 4}]
budget: {env_steps: 1500}
reference: [oracle, random]
probe: {episodes: 6}
record: {steps: true}
sweep:
  train.randomize: [0, 0.5]
`

var replayDir string

// replayRun runs replayConfig once per test binary, into a directory
// TestMain removes.
func replayRun(t *testing.T) string {
	t.Helper()
	if replayDir != "" {
		return replayDir
	}
	c, err := Parse(strings.NewReader(replayConfig))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "mesa-replay-")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(t.Context(), c, Options{Out: dir})
	if err != nil || !res.Complete {
		os.RemoveAll(dir)
		t.Fatalf("run: %+v, %v", res, err)
	}
	replayDir = dir // removed by TestMain
	return dir
}

// TestReplayEveryEpisode re-simulates every episode the run logged, at
// every point, and checks each against its row and its steps.
func TestReplayEveryEpisode(t *testing.T) {
	dir := replayRun(t)
	r, err := NewReplayer(dir)
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, data.OpenEpisodes, filepath.Join(dir, "episodes.arrow"))
	steps := readAll(t, data.OpenSteps, filepath.Join(dir, "steps.arrow"))
	type key struct {
		point        int
		agent, split string
		episode      int
	}
	paths := map[key][]data.StepRow{}
	for _, s := range steps {
		k := key{s.Point, s.AgentID, s.Split, s.Episode}
		paths[k] = append(paths[k], s)
	}
	// 2 points × 6 agents × (5 deploy + 6 probe) episodes.
	if want := 2 * 6 * 11; len(rows) != want {
		t.Fatalf("%d episode rows, want %d", len(rows), want)
	}
	if r.Points() != 2 {
		t.Errorf("Points() = %d, want 2", r.Points())
	}
	splits := map[string]int{}
	for _, row := range rows {
		rp, err := r.Episode(row.Point, row.AgentID, row.Split, row.Episode)
		if err != nil {
			t.Errorf("point %d %s %s %d: %v", row.Point, row.AgentID, row.Split, row.Episode, err)
			continue
		}
		splits[row.Split]++
		if rp.Row.AgentID != row.AgentID || rp.Row.Episode != row.Episode || rp.Row.Outcome != row.Outcome {
			t.Errorf("Row of %s %d: %+v, want the logged %+v", row.AgentID, row.Episode, rp.Row, row)
		}
		if len(rp.Path) != row.Steps+1 || len(rp.Actions) != row.Steps {
			t.Errorf("%s %s %d: path of %d cells, %d actions, for %d steps", row.AgentID, row.Split, row.Episode, len(rp.Path), len(rp.Actions), row.Steps)
			continue
		}
		if rp.Path[0] != (world.Point{X: row.StartX, Y: row.StartY}) || rp.Path[row.Steps] != (world.Point{X: row.EndX, Y: row.EndY}) {
			t.Errorf("%s %s %d: path from %v to %v", row.AgentID, row.Split, row.Episode, rp.Path[0], rp.Path[row.Steps])
		}
		if rp.Level.Seed != row.LevelSeed || rp.Level.Width != row.Width || rp.Level.Exit.Pos != (world.Point{X: row.ExitX, Y: row.ExitY}) {
			t.Errorf("%s %s %d: level seed %d %dx%d exit %v, row %+v", row.AgentID, row.Split, row.Episode, rp.Level.Seed, rp.Level.Width, rp.Level.Height, rp.Level.Exit.Pos, row)
		}
		logged := paths[key{row.Point, row.AgentID, row.Split, row.Episode}]
		if len(logged) != row.Steps {
			t.Errorf("%s %s %d: %d step rows, %d steps", row.AgentID, row.Split, row.Episode, len(logged), row.Steps)
			continue
		}
		for i, s := range logged {
			if s.T != i+1 || rp.Path[i+1] != (world.Point{X: s.X, Y: s.Y}) || rp.Actions[i].String() != s.Action {
				t.Errorf("%s %s %d step %d: replayed %v %v, logged %+v", row.AgentID, row.Split, row.Episode, i+1, rp.Actions[i], rp.Path[i+1], s)
				break
			}
		}
	}
	if splits["deploy"] != 2*6*5 || splits[ProbeSplit] != 2*6*6 {
		t.Errorf("replayed %v", splits)
	}
	t.Logf("replayed %d episodes, %d steps", len(rows), len(steps))
}

func readAll[R any](t *testing.T, open func(string, *data.ReadOptions) (*data.Reader[R], error), path string) []R {
	t.Helper()
	rd, err := open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	rows, err := rd.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestReplayAgents: the evaluated agents of each point in table order, the
// ids repeating across points.
func TestReplayAgents(t *testing.T) {
	r, err := NewReplayer(replayRun(t))
	if err != nil {
		t.Fatal(err)
	}
	a0, a1 := r.Agents(0), r.Agents(1)
	if len(a0) != 6 || !slices.Equal(a0, a1) {
		t.Fatalf("Agents(0) = %v, Agents(1) = %v; want 6, the same", a0, a1)
	}
	if a0[0] != "ga/planner/s0" || a0[4] != "none/oracle" || a0[5] != "none/random" {
		t.Errorf("Agents(0) = %v", a0)
	}
	if r.Agents(2) != nil || r.Agents(-1) != nil {
		t.Errorf("Agents of points the run lacks: %v, %v", r.Agents(2), r.Agents(-1))
	}
}

// TestReplayErrors: what the caller got wrong is named, with the choices.
func TestReplayErrors(t *testing.T) {
	dir := replayRun(t)
	r, err := NewReplayer(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		point   int
		agent   string
		split   string
		episode int
		want    []string
	}{
		{"point", 2, "none/oracle", "deploy", 0, []string{"no point 2", "points 0 to 1"}},
		{"negative point", -1, "none/oracle", "deploy", 0, []string{"no point -1"}},
		{"agent", 0, "none/to-colour:green", "deploy", 0, []string{`no agent "none/to-colour:green" at point 0`, "none/oracle", "none/random"}},
		{"split", 0, "none/oracle", "train", 0, []string{`no split "train"`, "deploy, probe"}},
		{"episode", 0, "none/oracle", "deploy", 5, []string{"no episode 5 of split deploy", "0 to 4"}},
		{"probe episode", 1, "none/random", "probe", -1, []string{"no episode -1 of split probe", "0 to 5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Episode(tt.point, tt.agent, tt.split, tt.episode)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
	if _, err := NewReplayer(t.TempDir()); err == nil {
		t.Error("NewReplayer of an empty directory: no error")
	}
}

// TestReplayRefusesOldPlanners: a run written before the planner's
// infinite horizon (schema 6) whose config has a default planner is
// refused, naming why; with a planner of fixed sweeps, which plans as it
// did, it is not refused for that.
func TestReplayRefusesOldPlanners(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(replayRun(t), data.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	now := fmt.Sprintf(`"schema_version": %d,`, data.SchemaVersion)
	if !strings.Contains(string(b), now) {
		t.Fatalf("manifest lacks %s", now)
	}
	// An old manifest, unsealed (its seal line dropped, as data's tests do).
	var old strings.Builder
	for line := range strings.Lines(strings.Replace(string(b), now, `"schema_version": 6,`, 1)) {
		if !strings.Contains(line, `"self_sha256"`) {
			old.WriteString(line)
		}
	}
	for _, tc := range []struct {
		name, from, to string
		refused        bool
	}{
		{"default planner", "", "", true},
		{"fixed sweeps", `- name: planner\n`, `- name: planner\n      iterations: 5\n`, false},
	} {
		m := strings.Replace(strings.Replace(old.String(), "\n  ],\n}", "\n  ]\n}", 1), tc.from, tc.to, 1)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, data.ManifestFile), []byte(m), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := NewReplayer(dir)
		want := "run of schema version 6 has planners of the cover-the-maze horizon"
		if got := err != nil && strings.Contains(err.Error(), want); got != tc.refused {
			t.Errorf("%s: error %v; want refused %v (%q)", tc.name, err, tc.refused, want)
		}
		if err == nil {
			t.Errorf("%s: a manifest alone replayed", tc.name)
		}
	}
}

// TestReplayMismatch: a row that the simulator no longer reproduces is an
// error naming the fields that differ.
func TestReplayMismatch(t *testing.T) {
	r, err := NewReplayer(replayRun(t))
	if err != nil {
		t.Fatal(err)
	}
	r.doctor = func(row *data.EpisodeRow) {
		row.Steps++
		row.ApplesEaten += 2
		row.EndX = -1
	}
	_, err = r.Episode(1, "none/oracle", "deploy", 3)
	var me *MismatchError
	if !errors.As(err, &me) || !errors.Is(err, ErrMismatch) {
		t.Fatalf("Episode of a doctored row: %v, want a *MismatchError", err)
	}
	for _, w := range []string{"steps", "apples_eaten", "end", "point 1 agent none/oracle deploy episode 3"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	if strings.Contains(me.Diff, "base_return") || strings.Contains(me.Diff, "first_target") {
		t.Errorf("Diff names fields that agree: %s", me.Diff)
	}
}

// TestReplayFindsRowsAnywhere: the Replayer reads a logged row from where
// its agent's rows of the split begin, and finds it by reading the whole
// table when the rows are not where it expects them.
func TestReplayFindsRowsAnywhere(t *testing.T) {
	r, err := NewReplayer(replayRun(t))
	if err != nil {
		t.Fatal(err)
	}
	want, err := r.Episode(1, "none/oracle", "deploy", 3)
	if err != nil {
		t.Fatal(err)
	}
	index := maps.Clone(r.blocks)
	for _, shift := range []int{2, -2} {
		for k, at := range index {
			at.episode += shift // every block seems to start elsewhere
			r.blocks[k] = at
		}
		for _, episode := range []int{3, 0} {
			got, err := r.Episode(1, "none/oracle", "deploy", episode)
			if err != nil {
				t.Fatalf("shift %d episode %d: %v", shift, episode, err)
			}
			if episode == 3 && !reflect.DeepEqual(got.Row, want.Row) {
				t.Fatalf("shift %d episode 3: row %+v, want %+v", shift, got.Row, want.Row)
			}
			if got.Row.Episode != episode {
				t.Fatalf("shift %d: asked for episode %d, got the row of %d", shift, episode, got.Row.Episode)
			}
		}
	}
}
