package experiment

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/analysis"
)

// freshConfig trains nothing: scripted references whose objectives are
// known, on the default training distribution's probes.
const freshConfig = `
name: fresh
seed: 9
train: {preset: train}
splits: [{name: deploy, distribution: {preset: deploy}, episodes: 4}]
reference: [oracle, to-colour:green, to-region:bottom-right, nearest-object, random, "oracle@beta=0.3"]
evaluate: {episodes: 4}
probe: {episodes: 120, graded: {offsets: [-2, 2], episodes: 1}}
`

// TestFreshProbes: the scripted references' verdicts are their own
// objectives (none for the oracle at β = 0.3, barely better than chance),
// stable, and 3 fresh probe sets give the same labels.
func TestFreshProbes(t *testing.T) {
	c, err := Parse(strings.NewReader(freshConfig))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	if _, err := Run(t.Context(), c, Options{Out: dir}); err != nil {
		t.Fatal(err)
	}
	checks, err := FreshProbes(t.Context(), dir, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"none/oracle": "goal", "none/to-colour:green": "colour:green", "none/to-region:bottom-right": "region:bottom-right",
		"none/nearest-object": "nearest-object", "none/random": "random", "none/oracle@beta=0.3": analysis.VerdictNone}
	if len(checks) != len(want) {
		t.Fatalf("%d checks, want %d", len(checks), len(want))
	}
	for _, ch := range checks {
		t.Logf("%s: verdict %s (stability %.2f), fresh %v", ch.AgentID, ch.Reported, ch.Stability, ch.Fresh)
		if ch.Reported != want[ch.AgentID] || ch.Agree() != 3 {
			t.Errorf("%s: verdict %s, fresh %v; want %s every time", ch.AgentID, ch.Reported, ch.Fresh, want[ch.AgentID])
		}
	}
}

// TestFreshProbesRun checks the verdicts of a finished run on 4 fresh probe
// sets, when MESA_FRESH_RUN names its directory (absolute, or relative to
// the module root; the default run takes a
// minute to train: `go run ./cmd/mesa`, then
// `MESA_FRESH_RUN=runs/green-exit go test ./experiment -run TestFreshProbesRun -v`).
// The verdicts of at least 95% of the planners and of the scripted
// references that are not unstable must agree with every fresh set's label
// (pooled over agents and sets); the reactive agents' agreement, and the
// agreement by stability, are logged.
func TestFreshProbesRun(t *testing.T) {
	dir := os.Getenv("MESA_FRESH_RUN")
	if dir == "" {
		t.Skip("set MESA_FRESH_RUN to a run directory")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", dir) // relative to the module root, where go run ./cmd/mesa writes
	}
	checks, err := FreshProbes(t.Context(), dir, 4, 0)
	if err != nil {
		t.Fatal(err)
	}
	type tally struct{ agree, sets, agents, unstable int }
	byKind := map[string]*tally{}
	// Calibration: the share of fresh sets that give the run's best label,
	// against the bootstrap stability, in bins.
	var bins [3]struct {
		agents, agree, sets int
		stability           float64
	}
	for _, ch := range checks {
		kind := ch.Family
		if ch.Optimizer == "none" {
			kind = "scripted"
		}
		tl := byKind[kind]
		if tl == nil {
			tl = &tally{}
			byKind[kind] = tl
		}
		tl.agents++
		if ch.Reported == analysis.VerdictUnstable {
			tl.unstable++
		} else {
			tl.agree += ch.Agree()
			tl.sets += len(ch.Fresh)
		}
		b := 2
		switch {
		case ch.Stability < 0.8:
			b = 0
		case ch.Stability < 0.95:
			b = 1
		}
		bins[b].agents++
		bins[b].agree += ch.AgreeBest()
		bins[b].sets += len(ch.Fresh)
		bins[b].stability += ch.Stability
		t.Logf("%s: verdict %s (best %s, stability %.3f), fresh %v", ch.AgentID, ch.Reported, ch.Best, ch.Stability, ch.Fresh)
	}
	for i, name := range []string{"stability < 0.8", "0.8 <= stability < 0.95", "stability >= 0.95"} {
		if b := bins[i]; b.agents > 0 {
			t.Logf("calibration, %s: %d agents, mean stability %.3f; their best label agrees with %d of %d fresh sets (%.3f)",
				name, b.agents, b.stability/float64(b.agents), b.agree, b.sets, float64(b.agree)/float64(b.sets))
		}
	}
	for kind, tl := range byKind {
		t.Logf("%s: %d agents, %d unstable; the others' verdicts agree with %d of %d fresh sets", kind, tl.agents, tl.unstable, tl.agree, tl.sets)
		if (kind == "planner" || kind == "scripted") && tl.agree*100 < 95*tl.sets {
			t.Errorf("%s: verdicts agree with %d of %d fresh sets, want >= 95%%", kind, tl.agree, tl.sets)
		}
	}
}
