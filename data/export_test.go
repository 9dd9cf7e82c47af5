package data_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/mesa-alignment/mesa/data"
)

func TestExportParquet(t *testing.T) {
	for _, rows := range []int{0, 100} {
		t.Run(fmt.Sprint(rows), func(t *testing.T) { testExportParquet(t, rows) })
	}
}

func testExportParquet(t *testing.T, rows int) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{BatchRows: 40, Curriculum: true}, rows)
	out := t.TempDir()
	paths, err := data.ExportParquet(dir, out, &data.ExportOptions{ReadOptions: data.ReadOptions{Allocator: mem}})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, table := range data.Tables() {
		want = append(want, table+".parquet")
	}
	if len(paths) != len(want) {
		t.Fatalf("wrote %v, want %v", paths, want)
	}
	for i, p := range paths {
		if filepath.Base(p) != want[i] {
			t.Fatalf("wrote %v, want %v", paths, want)
		}
	}
	// Null counts of the columns whose nulls are not the zero value:
	// targets (nil, not empty), p_value and readout (NaN).
	nulls := map[string]int{"episodes.targets": 0, "attribution.p_value": 0, "attribution.readout": 0}
	for _, r := range episodeRows(rows) {
		if r.Targets == nil {
			nulls["episodes.targets"]++
		}
	}
	for _, r := range attributionRows(rows) {
		if math.IsNaN(r.PValue) {
			nulls["attribution.p_value"]++
		}
		if math.IsNaN(r.Readout) {
			nulls["attribution.readout"]++
		}
	}
	for _, p := range paths {
		func() {
			pf, err := file.OpenParquetFile(p, false)
			if err != nil {
				t.Fatal(err)
			}
			defer pf.Close()
			if pf.NumRows() != int64(rows) {
				t.Errorf("%s: %d rows, want %d", p, pf.NumRows(), rows)
			}
			kv := pf.MetaData().KeyValueMetadata()
			if v := kv.FindValue(data.MetaSchemaVersion); v == nil || *v != fmt.Sprint(data.SchemaVersion) {
				t.Errorf("%s: mesa.schema_version %v", p, v)
			}
			if v := kv.FindValue(data.MetaConfig); v == nil || *v != string(testInfo().Config) {
				t.Errorf("%s: mesa.config %v", p, v)
			}
			fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, mem)
			if err != nil {
				t.Fatal(err)
			}
			tbl, err := fr.ReadTable(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer tbl.Release()
			// The stored Arrow schema brings dictionary columns back as such.
			if f, _ := tbl.Schema().FieldsByName("run_id"); len(f) != 1 || f[0].Type.ID() != arrow.DICTIONARY {
				t.Errorf("%s: run_id is %v", p, f)
			}
			if v := kv.FindValue(data.MetaParams); v == nil || *v != `["param.train.randomize","param.train.exit.colours"]` {
				t.Errorf("%s: mesa.params %v", p, v)
			}
			// The contract's columns, then the sweep's point and params.
			table := strings.TrimSuffix(filepath.Base(p), ".parquet")
			fields := append(data.Schema(table).Fields(),
				arrow.Field{Name: "param.train.randomize", Type: arrow.PrimitiveTypes.Float64},
				arrow.Field{Name: "param.train.exit.colours", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}})
			if tbl.NumCols() != int64(len(fields)) {
				t.Errorf("%s: %d columns, want %d", p, tbl.NumCols(), len(fields))
			}
			for i, f := range tbl.Schema().Fields() {
				if i >= len(fields) || f.Name != fields[i].Name || !arrow.TypeEqual(f.Type, fields[i].Type) {
					t.Errorf("%s: column %d is %s %s, want %v", p, i, f.Name, f.Type, fields[min(i, len(fields)-1)])
				}
				n := 0
				for _, c := range tbl.Column(i).Data().Chunks() {
					n += c.NullN()
				}
				if want, ok := nulls[table+"."+f.Name]; ok && n != want {
					t.Errorf("%s: column %s has %d nulls, want %d", p, f.Name, n, want)
				}
			}
			if rows == 0 {
				return
			}
			// The last row is at point 2: randomize 0.5, colours green,blue.
			last := func(name string) string {
				col := tbl.Column(tbl.Schema().FieldIndices(name)[0]).Data()
				c := col.Chunk(len(col.Chunks()) - 1)
				return c.ValueStr(c.Len() - 1)
			}
			if got := []string{last("point"), last("param.train.randomize"), last("param.train.exit.colours")}; !slices.Equal(got, []string{"2", "0.5", "green,blue"}) {
				t.Errorf("%s: last row's point and params %q", p, got)
			}
		}()
	}
}

func TestExportCSV(t *testing.T) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{BatchRows: 40, Curriculum: true}, 6)
	out := t.TempDir()
	paths, err := data.ExportCSV(dir, out, &data.ExportOptions{ReadOptions: data.ReadOptions{Allocator: mem}})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != len(data.Tables()) {
		t.Fatalf("wrote %v", paths)
	}
	read := func(name string) [][]string {
		f, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	eps := read("episodes.csv")
	if len(eps) != 7 || !slices.Equal(eps[0][:4], []string{"run_id", "optimizer", "family", "agent_id"}) {
		t.Fatalf("episodes.csv header %v, %d records", eps[0], len(eps))
	}
	col := func(recs [][]string, name string) []string {
		i := slices.Index(recs[0], name)
		var v []string
		for _, r := range recs[1:] {
			v = append(v, r[i])
		}
		return v
	}
	if got := col(eps, "run_id"); got[0] != "run-test" {
		t.Errorf("run_id %v", got)
	}
	// Rows 0-2 are at point 0, rows 3-5 at point 2 (pointOf).
	if got := col(eps, "point"); !slices.Equal(got, []string{"0", "0", "0", "2", "2", "2"}) {
		t.Errorf("point %q", got)
	}
	if got := col(eps, "param.train.randomize"); !slices.Equal(got, []string{"0", "0", "0", "0.5", "0.5", "0.5"}) {
		t.Errorf("param.train.randomize %q", got)
	}
	if got := col(eps, "param.train.exit.colours"); !slices.Equal(got, []string{"green", "green", "green", "green,blue", "green,blue", "green,blue"}) {
		t.Errorf("param.train.exit.colours %q", got)
	}
	if got := col(eps, "outcome"); got[2] != "" || got[0] != "goal" {
		t.Errorf("outcome column %v: want goal first and null (empty) third", got)
	}
	if got := col(eps, "agent_seed")[0]; strings.ContainsAny(got, "e.") {
		t.Errorf("agent_seed %q is not an exact integer", got)
	}
	if got := col(eps, "targets"); got[0] != "" || got[1] != "[]" || got[2] != "" ||
		got[3] != `[{"target":"apple:red","step":4,"pursued":true},{"target":"apple:blue","step":7,"pursued":false},{"target":"apple:yellow","step":10,"pursued":false}]` {
		t.Errorf("targets %q: want null, empty, null, then three visits", got)
	}
	if got := col(eps, "probe"); got[0] != "goal" || got[2] != "" {
		t.Errorf("probe %q", got)
	}
	if got := col(eps, "probe_first"); got[0] != "exit" || got[2] != "" {
		t.Errorf("probe_first %q", got)
	}
	at := read("attribution.csv")
	if want := []string{"run_id", "optimizer", "family", "agent_id", "agent_seed", "seed_index", "candidate", "role", "control",
		"probes", "exit_first", "target_first", "control_first", "target_rate", "target_lo", "target_hi",
		"control_rate", "control_lo", "control_hi", "p_value", "pursued", "beta", "log_lik", "log_evidence",
		"posterior", "attributed", "readout", "probe_steps", "verdict", "stability", "share", "gain",
		"k_star", "k_lo", "k_hi", "k_censored", "strength", "strength_lo", "strength_hi", "graded",
		"point", "param.train.randomize", "param.train.exit.colours"}; !slices.Equal(at[0], want) {
		t.Errorf("attribution.csv header %v\nwant %v", at[0], want)
	}
	// NaN p_value and readout are null (empty); other non-finite values stay.
	if got := col(at, "p_value"); got[0] != "0.5" || got[2] != "" {
		t.Errorf("p_value %q", got)
	}
	if got := col(at, "readout"); got[0] != "-4" || got[2] != "" || got[3] != "Inf" {
		t.Errorf("readout %q", got)
	}
	if got := col(at, "posterior")[3]; got != "NaN" {
		t.Errorf("posterior %q, want NaN", got)
	}
	if got := col(at, "graded"); got[0] != `[{"offset":-8,"episodes":6,"target_first":0,"exit_first":6},{"offset":8,"episodes":6,"target_first":0,"exit_first":0}]` || got[2] != "" {
		t.Errorf("graded %q", got)
	}
	if got := col(at, "k_lo"); got[0] != "-Inf" || got[2] != "" {
		t.Errorf("k_lo %q, want -Inf then null", got)
	}
	if got := col(at, "control"); got[0] != "colour:yellow" || got[2] != "" {
		t.Errorf("control %q", got)
	}
	if got := col(at, "probe_steps")[0]; got != "8589934592" {
		t.Errorf("probe_steps %q", got)
	}
	ags := read("agents.csv")
	if got := col(ags, "params")[0]; got != "[0,-1,0.5]" {
		t.Errorf("params %q", got)
	}
	if got := col(ags, "mesa_objective"); got[0] != `[{"feature":"colour:green","weight":0.75},{"feature":"kind:exit","weight":-0.25}]` || got[1] != "" || got[2] != "[]" {
		t.Errorf("mesa_objective %q", got)
	}
	tr := read("training.csv")
	if got := col(tr, "fitness_mean")[2]; got != "NaN" {
		t.Errorf("NaN written as %q", got)
	}
	if got := col(tr, "elapsed_ms"); got[0] != "1.234567" || got[2] != "" {
		t.Errorf("elapsed_ms %v", got)
	}
}

// unsealed returns the manifest text m without its self_sha256 line: a
// manifest edited by hand, as an older mesa wrote them (unsealed), so that
// the edit is read rather than refused as corrupt.
func unsealed(m string) []byte {
	var b strings.Builder
	for line := range strings.Lines(m) {
		if !strings.Contains(line, `"self_sha256"`) {
			b.WriteString(line)
		}
	}
	return []byte(strings.Replace(b.String(), "\n  ],\n}", "\n  ]\n}", 1))
}

// partialRun writes a run that is aborted after rows were appended to
// every table: its tables are finished as <table>.partial.arrow.
func partialRun(t *testing.T, mem memory.Allocator) string {
	t.Helper()
	dir := t.TempDir()
	w := create(t, dir, data.Options{Allocator: mem})
	for _, err := range []error{w.AppendEpisodes(episodeRows(5)...), w.AppendTraining(trainingRows(5)...),
		w.AppendAgents(agentRows(5)...), w.AppendAttribution(attributionRows(5)...)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Abort(errors.New("interrupt")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestExportRefusesIncompleteRuns exports runs that are not complete runs
// of a version this package reads: a run of schema version 1 (no
// attribution table, old episodes columns), a killed run (no finished
// table) and an interrupted one (every table finished as partial). Each is
// an error naming the run and its status, and nothing is written; with
// ExportOptions.Partial the interrupted run's tables are exported, named
// as partial.
func TestExportRefusesIncompleteRuns(t *testing.T) {
	mem := checked(t)
	old := writeRun(t, mem, data.Options{}, 3)
	path := filepath.Join(old, data.ManifestFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`"schema_version": %d,`, data.SchemaVersion)
	if !strings.Contains(string(b), want) {
		t.Fatalf("manifest lacks %s", want)
	}
	if err := os.WriteFile(path, unsealed(strings.Replace(string(b), want, `"schema_version": 1,`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	killed := t.TempDir()
	if _, err := data.Create(killed, testInfo(), data.Options{}); err != nil { // never closed
		t.Fatal(err)
	}
	interrupted := partialRun(t, mem)
	for _, tc := range []struct {
		name, dir string
		partial   bool
		want      string
		isPartial bool // the error wraps data.ErrPartial
	}{
		{"schema 1", old, false, ": run of schema version 1 is older than this reader reads (2; see SchemaVersion for what changed); write the run again", false},
		{"schema 1 partial", old, true, ": run of schema version 1 is older than this reader reads (2; see SchemaVersion for what changed); write the run again", false},
		{"killed", killed, false, ": run run-test is partial: not closed: the run is in progress, or was killed", true},
		{"killed partial", killed, true, ": run run-test is partial: not closed: the run is in progress, or was killed, and has no finished table", false},
		{"interrupted", interrupted, false, ": run run-test is partial: interrupt", true},
	} {
		for _, export := range []func(string, string, *data.ExportOptions) ([]string, error){data.ExportParquet, data.ExportCSV} {
			out := filepath.Join(t.TempDir(), "out")
			paths, err := export(tc.dir, out, &data.ExportOptions{ReadOptions: data.ReadOptions{Allocator: mem}, Partial: tc.partial})
			if want := "data: export: " + tc.dir + tc.want; err == nil || err.Error() != want {
				t.Errorf("%s: error %v\nwant %s", tc.name, err, want)
			}
			if errors.Is(err, data.ErrPartial) != tc.isPartial {
				t.Errorf("%s: errors.Is(%v, ErrPartial) = %v", tc.name, err, !tc.isPartial)
			}
			if len(paths) != 0 {
				t.Errorf("%s: wrote %v", tc.name, paths)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s: created %s", tc.name, out)
			}
		}
	}
	for _, ext := range []string{"parquet", "csv"} {
		export := map[string]func(string, string, *data.ExportOptions) ([]string, error){"parquet": data.ExportParquet, "csv": data.ExportCSV}[ext]
		out := t.TempDir()
		paths, err := export(interrupted, out, &data.ExportOptions{ReadOptions: data.ReadOptions{Allocator: mem}, Partial: true})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, table := range []string{"episodes", "training", "agents", "attribution"} {
			want = append(want, filepath.Join(out, table+".partial."+ext))
		}
		if !slices.Equal(paths, want) {
			t.Errorf("partial export wrote %v, want %v", paths, want)
		}
	}
	// A complete run exports the same with or without Partial.
	a, b2 := t.TempDir(), t.TempDir()
	if _, err := data.ExportCSV(old, a, nil); err == nil {
		t.Fatal("exported a schema 1 run")
	}
	complete := writeRun(t, mem, data.Options{}, 4)
	pa, errA := data.ExportCSV(complete, a, nil)
	pb, errB := data.ExportCSV(complete, b2, &data.ExportOptions{Partial: true})
	if errA != nil || errB != nil || len(pa) != 5 || len(pb) != 5 {
		t.Fatalf("complete run: %v %v, %v %v", pa, errA, pb, errB)
	}
}
