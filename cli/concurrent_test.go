package cli

import (
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mesa-alignment/mesa/data/datatest"
)

// TestConcurrentOutputsNeverMix runs analyze, and export, of two runs into
// one --out at the same moment, several times: the directory ends up
// holding exactly one run's output, byte for byte as that run alone makes
// it, and the other command is refused (the directory is being written,
// or holds the other run's output); never a mix of the two.
func TestConcurrentOutputsNeverMix(t *testing.T) {
	rounds, figures := 6, "--quiet"
	if testing.Short() || raceEnabled {
		rounds, figures = 2, "--no-figures" // figures are slow under -race
	}
	base := t.TempDir()
	runs := []string{filepath.Join(base, "a"), filepath.Join(base, "b")}
	mustMesa(t, "run", "--config", hostileRun, "--out", runs[0], "--quiet")
	mustMesa(t, "run", "--config", hostileRun, "--set", "seed=5", "--out", runs[1], "--quiet")
	for _, c := range []struct {
		name string
		args func(run, out string) []string
	}{
		{"analyze", func(run, out string) []string { return []string{"analyze", run, "--out", out, "--quiet", figures} }},
		{"export", func(run, out string) []string { return []string{"export", run, "--out", out, "--format", "csv"} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			// What each run alone makes, its own --out replaced by OUT.
			var alone []map[string]datatest.Entry
			for i, r := range runs {
				out := filepath.Join(base, c.name+"-alone-"+string(rune('a'+i)))
				mustMesa(t, c.args(r, out)...)
				alone = append(alone, normalized(t, out))
			}
			for round := range rounds {
				out := filepath.Join(t.TempDir(), "out")
				var wg sync.WaitGroup
				codes, errs := make([]int, 2), make([]string, 2)
				start := make(chan struct{})
				for i, r := range runs {
					wg.Go(func() {
						<-start
						_, errs[i], codes[i] = mesa(t, c.args(r, out)...)
					})
				}
				close(start)
				wg.Wait()
				got := normalized(t, out)
				won := -1
				for i := range runs {
					if maps.Equal(got, alone[i]) {
						won = i
					}
				}
				if won < 0 {
					t.Fatalf("round %d: %s holds neither run's output alone (exits %v, %q)", round, out, codes, errs)
				}
				for i := range runs {
					refused := strings.Contains(errs[i], "is being written by another mesa process") || strings.Contains(errs[i], "refusing to replace it")
					if i != won && (codes[i] == 0 || !refused) {
						t.Errorf("round %d: run %d's %s: exit %d, %q; want a refusal", round, i, c.name, codes[i], errs[i])
					}
				}
			}
		})
	}
}

// normalized snapshots an output directory with its own path in report.md
// (the command line) replaced, so that outputs made into different
// directories compare.
func normalized(t *testing.T, out string) map[string]datatest.Entry {
	t.Helper()
	snap := datatest.Snapshot(t, out)
	if e, ok := snap["report.md"]; ok {
		b, err := os.ReadFile(filepath.Join(out, "report.md"))
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		p := filepath.Join(dir, "report.md")
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(b), out, "OUT")), e.Mode.Perm()); err != nil {
			t.Fatal(err)
		}
		snap["report.md"] = datatest.Snapshot(t, dir)["report.md"]
	}
	return snap
}
