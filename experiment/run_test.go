package experiment

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/data/datatest"
	"github.com/mesa-alignment/mesa/world"
)

func smoke(t *testing.T) *Config {
	t.Helper()
	c, err := Preset("smoke")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// smallSmoke is the smoke preset cut to one split of 2 episodes, one
// optimizer and one family.
func smallSmoke(t *testing.T) *Config {
	t.Helper()
	c := smoke(t)
	c.Splits = c.Splits[:1]
	c.Splits[0].Episodes = 2
	c.Optimizers = c.Optimizers[:1]
	c.Families = c.Families[:1]
	return c
}

// TestRunSameBytesAnyWorkers is the determinism contract: the same config
// and seed give byte-identical files for any number of workers.
func TestRunSameBytesAnyWorkers(t *testing.T) {
	c := smoke(t)
	dirs := []string{t.TempDir(), t.TempDir()}
	c.Record.Steps = true
	for i, w := range []int{1, 2} {
		if _, err := Run(t.Context(), c, Options{Out: dirs[i], Workers: w, Overwrite: true}); err != nil {
			t.Fatal(err)
		}
	}
	datatest.SameFiles(t, dirs[0], dirs[1], "1 and 2 workers", "manifest.json", "episodes.arrow", "training.arrow", "agents.arrow", "attribution.arrow", "steps.arrow")
	m, err := data.VerifyRun(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != data.StatusComplete {
		t.Errorf("status %q", m.Status)
	}
	ep, ok := m.Table("episodes")
	// Every evaluated agent plays every episode of every split and of the
	// probe, and is attributed against every candidate.
	trained := len(c.Optimizers) * len(c.Families) * c.Seeds
	want := int64((trained + len(c.Reference)) * (c.Splits[0].Episodes + c.Splits[1].Episodes + c.Probe.Episodes))
	if !ok || ep.Rows != want {
		t.Errorf("episodes rows %d, want %d", ep.Rows, want)
	}
	cands, err := c.candidates()
	if err != nil {
		t.Fatal(err)
	}
	at, ok := m.Table("attribution")
	if want := int64((trained + len(c.Reference)) * len(cands.List)); !ok || at.Rows != want {
		t.Errorf("attribution rows %d, want %d", at.Rows, want)
	}
}

func TestRunCanceledLeavesNoRun(t *testing.T) {
	c := smoke(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Run(ctx, c, Options{Out: dir}); err == nil {
		t.Fatal("canceled run succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
		t.Error("a canceled run left a manifest")
	}
	if _, err := os.Stat(filepath.Join(dir, "episodes.arrow")); err == nil {
		t.Error("a canceled run left episodes.arrow")
	}
	res, err := Run(t.Context(), c, Options{Out: dir})
	if err != nil || !res.Complete {
		t.Fatalf("the same command after a cancel: %+v, %v", res, err)
	}
}

// TestRunContinuesSameConfigRefusesOther: the same config on a directory
// continues (here: finds everything done), another is refused naming the
// run in the directory, and --overwrite replaces it.
func TestRunContinuesSameConfigRefusesOther(t *testing.T) {
	c := smallSmoke(t)
	dir := t.TempDir()
	first, err := Run(t.Context(), c, Options{Out: dir})
	if err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(dir, "episodes.arrow"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := Run(t.Context(), c, Options{Out: dir})
	if err != nil || !again.Complete || again.RunID != first.RunID {
		t.Fatalf("the same config again: %+v, %v", again, err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "episodes.arrow"))
	if !bytes.Equal(before, after) {
		t.Error("continuing a complete run changed its episodes")
	}
	other := *c
	other.Seed++
	if err := other.Resolve(); err != nil {
		t.Fatal(err)
	}
	_, err = Run(t.Context(), &other, Options{Out: dir})
	if err == nil || !strings.Contains(err.Error(), first.RunID) || !strings.Contains(err.Error(), "--overwrite") {
		t.Errorf("another config into the directory: %v; want a refusal naming %s", err, first.RunID)
	}
	if res, err := Run(t.Context(), &other, Options{Out: dir, Overwrite: true}); err != nil || res.RunID == first.RunID {
		t.Errorf("--overwrite: %+v, %v", res, err)
	}
}

// TestRunRedoesOtherSchema: a run directory whose merged run and units
// were written by a mesa of another data schema (here 5, before the
// planner's infinite horizon) is not taken as complete: continuing it runs
// and merges again, with this schema, to the same bytes a fresh run gives.
func TestRunRedoesOtherSchema(t *testing.T) {
	c := smallSmoke(t)
	dir := t.TempDir()
	if _, err := Run(t.Context(), c, Options{Out: dir}); err != nil {
		t.Fatal(err)
	}
	fresh, err := os.ReadFile(filepath.Join(dir, "episodes.arrow"))
	if err != nil {
		t.Fatal(err)
	}
	now := fmt.Sprintf(`"schema_version": %d,`, data.SchemaVersion)
	manifests, _ := filepath.Glob(filepath.Join(dir, "units", "*", data.ManifestFile))
	manifests = append(manifests, filepath.Join(dir, data.ManifestFile))
	for _, path := range manifests {
		b, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(b, []byte(now)) {
			t.Fatalf("%s: %v, or no %s", path, err, now)
		}
		// Schema 5, unsealed (its seal line dropped, as data's tests do).
		var old strings.Builder
		for line := range strings.Lines(strings.Replace(string(b), now, `"schema_version": 5,`, 1)) {
			if !strings.Contains(line, `"self_sha256"`) {
				old.WriteString(line)
			}
		}
		if err := os.WriteFile(path, []byte(strings.Replace(old.String(), "\n  ],\n}", "\n  ]\n}", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		if m, err := data.ReadManifest(filepath.Dir(path)); err != nil || m.SchemaVersion != 5 {
			t.Fatalf("%s: %v, %v", path, m, err)
		}
	}
	res, err := Run(t.Context(), c, Options{Out: dir})
	if err != nil || !res.Complete {
		t.Fatalf("continuing: %+v, %v", res, err)
	}
	m, err := data.VerifyRun(dir)
	if err != nil || m.SchemaVersion != data.SchemaVersion {
		t.Fatalf("continued run: %v, %v; want schema %d", m, err, data.SchemaVersion)
	}
	again, _ := os.ReadFile(filepath.Join(dir, "episodes.arrow"))
	if !bytes.Equal(fresh, again) {
		t.Error("the run made again differs from the fresh one")
	}
}

// TestRunBaseReturn: the configured base return scores evaluation episodes,
// and exactly the final agent of each training run is evaluated.
func TestRunBaseReturn(t *testing.T) {
	for _, rule := range []world.BaseReturn{world.Sooner, world.Binary} {
		c := smoke(t)
		c.BaseReturn = rule.String()
		c.Splits = c.Splits[:1]
		c.Splits[0].Episodes = 10
		c.Optimizers = c.Optimizers[:1] // the GA, which also returns its population
		c.Reference = []string{"oracle"}
		dir := t.TempDir()
		if _, err := Run(t.Context(), c, Options{Out: dir, Overwrite: true}); err != nil {
			t.Fatal(err)
		}
		r, err := data.OpenEpisodes(filepath.Join(dir, "episodes.arrow"), nil)
		if err != nil {
			t.Fatal(err)
		}
		agentIDs := map[string]bool{}
		reached := 0
		for r.Next() {
			e := r.Row()
			agentIDs[e.AgentID] = true
			if want := rule.Return(e.ReachedExit, e.Steps, e.StepLimit); e.BaseReturn != want {
				t.Errorf("%v: %s episode %d: base return %v after %d of %d steps (reached %t), want %v",
					rule, e.AgentID, e.Episode, e.BaseReturn, e.Steps, e.StepLimit, e.ReachedExit, want)
			}
			if e.ReachedExit {
				reached++
			}
			// The pursued role agrees with the outcome and the proxy's role.
			want := map[string]string{"goal": data.PursuedGoal, "capability_failure": data.PursuedNone}[e.Outcome]
			if want == "" {
				want = map[string]string{"colour:green": data.PursuedProxy, "region:bottom-right": data.PursuedProxy,
					"kind:apple": data.PursuedKind, "nearest-object": data.PursuedKind}[e.Proxy]
			}
			if want != "" && e.PursuedRole != want || e.PursuedRole == "" {
				t.Errorf("%s episode %d: outcome %s proxy %q pursued_role %q, want %q", e.AgentID, e.Episode, e.Outcome, e.Proxy, e.PursuedRole, want)
			}
			scripted := e.Optimizer == data.OptimizerNone
			if scripted && e.SeedIndex != 0 || !scripted && !strings.HasSuffix(e.AgentID, "/s"+strconv.Itoa(e.SeedIndex)) {
				t.Errorf("%s: seed_index %d", e.AgentID, e.SeedIndex)
			}
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if reached == 0 {
			t.Errorf("%v: no episode reached the exit", rule)
		}
		var ids []string
		for id := range agentIDs {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		// One final agent per (family, seed), and the oracle.
		if len(ids) != len(c.Families)*c.Seeds+1 || !slices.ContainsFunc(ids, func(id string) bool { return strings.HasSuffix(id, "/s0") }) {
			t.Errorf("%v: evaluated agents %v, want the final agent of each training run and the oracle", rule, ids)
		}
		for _, id := range ids {
			if strings.Contains(id, "/population/") {
				t.Errorf("%v: evaluated population member %s", rule, id)
			}
		}
	}
}

// TestRunBudgetBelowOneGeneration: a GA whose budget runs out before its
// first generation is complete has no agent to hand over, and the run
// says so naming the budget and what to change.
func TestRunBudgetBelowOneGeneration(t *testing.T) {
	c := smallSmoke(t) // GA, population 16 × 4 levels
	c.Budget.EnvSteps = 100
	_, err := Run(t.Context(), c, Options{Out: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "budget.env_steps (100) ran out during its first iteration") ||
		!strings.Contains(err.Error(), "population, levels") {
		t.Fatalf("GA with a 100-step budget: %v", err)
	}
}
