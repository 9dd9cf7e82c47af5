package data_test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/data"
)

// TestInteropNode reads a run with apache-arrow JS and its Parquet export
// with DuckDB through interop/check.mjs. It is skipped unless node is on
// PATH and the packages are installed (cd interop && npm ci).
func TestInteropNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not found")
	}
	interop, err := filepath.Abs(filepath.Join("..", "interop"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"apache-arrow", "@duckdb/node-api"} {
		if _, err := os.Stat(filepath.Join(interop, "node_modules", pkg)); err != nil {
			t.Skipf("%s not installed (cd interop && npm ci)", pkg)
		}
	}
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{BatchRows: 16}, 50)
	out := t.TempDir()
	if _, err := data.ExportParquet(dir, out, &data.ExportOptions{ReadOptions: data.ReadOptions{Allocator: mem}}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), node, filepath.Join(interop, "check.mjs"), dir, out)
	cmd.Dir = interop
	b, err := cmd.CombinedOutput()
	t.Logf("%s", b)
	if err != nil {
		t.Fatalf("check.mjs: %v", err)
	}
	// What the new columns hold, as both apache-arrow and DuckDB must see.
	eps, ats := episodeRows(50), attributionRows(50)
	visits, pNulls, joined := 0, 0, 0
	for _, e := range eps {
		visits += len(e.Targets)
	}
	for _, a := range ats {
		if math.IsNaN(a.PValue) {
			pNulls++
		}
		for _, e := range eps {
			if e.AgentID == a.AgentID && e.Probe != "" && e.Probe == a.Candidate {
				joined++
			}
		}
	}
	if visits == 0 || joined == 0 {
		t.Fatalf("test rows have %d target visits and %d probe episodes behind attribution rows", visits, joined)
	}
	for _, want := range []string{"arrow episodes.arrow rows=50", "arrow attribution.arrow rows=50",
		"mesa.schema_version=" + strconv.Itoa(data.SchemaVersion), "duckdb " + filepath.Join(out, "steps.parquet") + " rows=50",
		fmt.Sprintf("targets: visits=%d null=", visits), fmt.Sprintf("targets: visits=%d\n", visits),
		fmt.Sprintf("p_value null=%d attributed=", pNulls), fmt.Sprintf("p_value null=%d probe episodes joined=%d\n", pNulls, joined),
		// The sweep's points (pointOf: 25 rows at each), as both read them.
		"  points: 0/0/green=25 2/0.5/green,blue=25\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
