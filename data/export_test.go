package data_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"mesa/data"
)

func TestExportParquet(t *testing.T) {
	for _, rows := range []int{0, 100} {
		t.Run(fmt.Sprint(rows), func(t *testing.T) { testExportParquet(t, rows) })
	}
}

func testExportParquet(t *testing.T, rows int) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{BatchRows: 40}, rows)
	out := t.TempDir()
	paths, err := data.ExportParquet(dir, out, &data.ReadOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"episodes.parquet", "training.parquet", "agents.parquet", "steps.parquet"}
	for i, p := range paths {
		if filepath.Base(p) != want[i] {
			t.Fatalf("wrote %v, want %v", paths, want)
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
			if v := kv.FindValue(data.MetaSchemaVersion); v == nil || *v != "1" {
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
		}()
	}
}

func TestExportCSV(t *testing.T) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{BatchRows: 40}, 6)
	out := t.TempDir()
	paths, err := data.ExportCSV(dir, out, &data.ReadOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 4 {
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
	if got := col(eps, "outcome"); got[2] != "" || got[0] != "goal" {
		t.Errorf("outcome column %v: want goal first and null (empty) third", got)
	}
	if got := col(eps, "agent_seed")[0]; strings.ContainsAny(got, "e.") {
		t.Errorf("agent_seed %q is not an exact integer", got)
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
