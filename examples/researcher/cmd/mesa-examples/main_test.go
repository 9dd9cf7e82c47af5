package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/cli"
	"github.com/mesa-alignment/mesa/data"
)

func mesa(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), Registry(), args, &out, &errb)
	return out.String(), errb.String(), code
}

// TestCompare runs the 2-seed comparison of compare.yaml through mesa's
// command line: the example's family and optimizer train next to mesa's,
// their rows are in the data, and the printed tables name them.
func TestCompare(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	out, errOut, code := mesa(t, "run", "--config", "../../compare.yaml", "--out", dir, "--quiet", "--format", "json")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errOut)
	}
	var tabs []struct {
		Title string
		Rows  []map[string]string
	}
	if err := json.Unmarshal([]byte(out), &tabs); err != nil || len(tabs) == 0 {
		t.Fatalf("tables: %v\n%s", err, out)
	}
	// The headline has every optimizer × family, the example's included.
	var cells []string
	for _, r := range tabs[0].Rows {
		cells = append(cells, r["optimizer"]+"/"+r["family"]+"/"+r["seeds"])
	}
	for _, want := range []string{"ga/reactive/2", "ga/wide/2", "oneplus/reactive/2", "oneplus/wide/2"} {
		if !slices.Contains(cells, want) {
			t.Errorf("headline %q lacks %s", cells, want)
		}
	}
	// The comparison of the optimizers names the example's.
	found := false
	for _, tab := range tabs {
		if strings.HasPrefix(tab.Title, "Base optimizers compared") {
			for _, r := range tab.Rows {
				found = found || strings.HasPrefix(r["B"], "oneplus ") && r["family"] == "wide"
			}
		}
	}
	if !found {
		t.Errorf("no comparison of ga with oneplus on wide:\n%s", out)
	}
	// The data holds the example's rows, and the agent ids the CLI uses.
	r, err := data.OpenEpisodes(filepath.Join(dir, "episodes.arrow"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ids := map[string]bool{}
	for r.Next() {
		ids[r.Row().AgentID] = true
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"oneplus/wide/s0", "oneplus/wide/s1", "ga/wide/s1", "none/oracle"} {
		if !ids[id] {
			t.Errorf("episodes lack agent %s (have %v)", id, ids)
		}
	}
	// render replays the example's agent by that id.
	if out, errOut, code := mesa(t, "render", "--run", dir, "--agent", "oneplus/wide/s1", "--split", "deploy"); code != 0 || !strings.Contains(out, "agent oneplus/wide/s1 split deploy episode 0") {
		t.Errorf("render: exit %d %s\n%s", code, errOut, out)
	}
}

// TestRegistered: the example's names appear wherever mesa's do — the
// help, config validation (with the settings the types own) — and
// nowhere without the registry.
func TestRegistered(t *testing.T) {
	help, _, _ := mesa(t, "help")
	if !strings.Contains(help, "reactive, planner, mlp, wide") || !strings.Contains(help, "ga, es, sgd, oneplus") {
		t.Errorf("help does not list wide and oneplus:\n%s", help)
	}
	cfg := filepath.Join(t.TempDir(), "bad.yaml")
	text, err := os.ReadFile("../../compare.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ from, to, want string }{
		{"{name: wide, radius: 3}", "{name: wide, hidden: 3}", `families[1]: line 10: unknown field "hidden" (known: noise, radius)`},
		{"{name: wide, radius: 3}", "{name: wide, radius: 40}", `families[1].reactive.window.radius: 40 out of range`},
		{"lambda: 4", "lambda: -1", `optimizers[1].lambda: -1 out of range [1, 65536]`},
	} {
		if err := os.WriteFile(cfg, bytes.Replace(text, []byte(tt.from), []byte(tt.to), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := mesa(t, "sweep", "plan", "--config", cfg)
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: exit %d, %q; want %q", tt.to, code, errOut, tt.want)
		}
	}
	var out, errb bytes.Buffer
	if code := cli.Main(context.Background(), nil, []string{"sweep", "plan", "--config", "../../compare.yaml"}, &out, &errb); code == 0 ||
		!strings.Contains(errb.String(), `unknown family "wide" (known: reactive, planner, mlp)`) {
		t.Errorf("mesa's own registry: exit %d, %q", code, errb.String())
	}
}
