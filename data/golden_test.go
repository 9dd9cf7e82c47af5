package data_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/data"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./data -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed; if the change is deliberate, bump data.SchemaVersion and run go test ./data -update\ngot:\n%s", path, got)
	}
}

// TestGoldenSchemas pins the data contract: every table's columns and types
// and every vocabulary. A change here is a change notebooks see.
func TestGoldenSchemas(t *testing.T) {
	var b strings.Builder
	fmt.Fprintf(&b, "schema_version %d\n", data.SchemaVersion)
	for _, table := range data.Tables() {
		fmt.Fprintf(&b, "\ntable %s (%s)\n%s\n", table, data.FileName(table), data.Schema(table))
	}
	b.WriteString("\nvocabularies\n")
	for _, v := range []string{data.VocabOptimizer, data.VocabFamily, data.VocabSplit, data.VocabOutcome, data.VocabProxy,
		data.VocabObject, data.VocabRole, data.VocabStatus, data.VocabColour, data.VocabAction, data.VocabDistribution,
		data.VocabCandidate, data.VocabCandidateRole, data.VocabProbeFirst} {
		fmt.Fprintf(&b, "  %s: %s\n", v, strings.Join(data.Vocabulary(v), " "))
	}
	// A sweep's files: the contract's columns, then a column per param.
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{}, 2)
	r, err := data.OpenSteps(filepath.Join(dir, data.FileName(data.TableSteps)), &data.ReadOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := r.Schema()
	fmt.Fprintf(&b, "\nsweep params (every table; here steps)\n  %s: %s\n", data.MetaParams, s.Metadata().Values()[s.Metadata().FindKey(data.MetaParams)])
	for _, f := range s.Fields()[data.Schema(data.TableSteps).NumFields():] {
		fmt.Fprintf(&b, "  - %s: type=%s\n", f.Name, f.Type)
	}
	golden(t, "schemas.golden", []byte(b.String()))
}

// TestGoldenManifest pins the manifest of a small fixed run, SHA-256 of
// every table file included: the same calls must give the same bytes, in
// this process and in the next release.
func TestGoldenManifest(t *testing.T) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{BatchRows: 4}, 10)
	b, err := os.ReadFile(filepath.Join(dir, data.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "manifest.golden.json", b)
}
