package data_test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/mesa-alignment/mesa/data"
)

// checkFileError fails t unless err is a one-line error naming path.
func checkFileError(t *testing.T, err error, path, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error", what)
	}
	msg := err.Error()
	if !strings.Contains(msg, path) || strings.Contains(msg, "\n") {
		t.Fatalf("%s: error %q does not name %s on one line", what, msg, path)
	}
}

// readFile opens and reads a whole episodes file, returning the first error.
func readFile(path string, mem memory.Allocator) (int, error) {
	r, err := data.OpenEpisodes(path, &data.ReadOptions{Allocator: mem})
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n := 0
	for r.Next() {
		n++
	}
	return n, r.Err()
}

func TestTruncatedFiles(t *testing.T) {
	for _, comp := range []data.Compression{data.CompressionNone, data.CompressionZstd} {
		mem := checked(t)
		dir := writeRun(t, mem, data.Options{BatchRows: 20, Compression: comp}, 50)
		full, err := os.ReadFile(filepath.Join(dir, "episodes.arrow"))
		if err != nil {
			t.Fatal(err)
		}
		n := len(full)
		for _, off := range []int{0, 3, 6, 8, 64, n / 3, n / 2, 2 * n / 3, n - 16, n - 10, n - 6, n - 1} {
			path := filepath.Join(t.TempDir(), "episodes.arrow")
			if err := os.WriteFile(path, full[:off], 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := readFile(path, mem)
			checkFileError(t, err, path, string(comp)+" truncated")
		}
	}
}

// rewrite copies the table file src into a new file, changing its schema
// and columns with edit.
func rewrite(t *testing.T, src string, edit func(s *arrow.Schema, cols []arrow.Array) (*arrow.Schema, []arrow.Array)) string {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	var w *ipc.FileWriter
	for i := range r.NumRecords() {
		rec, err := r.RecordBatchAt(i)
		if err != nil {
			t.Fatal(err)
		}
		s, cols := edit(rec.Schema(), slices.Clone(rec.Columns()))
		if w == nil {
			if w, err = ipc.NewFileWriter(out, ipc.WithSchema(s)); err != nil {
				t.Fatal(err)
			}
		}
		nr := array.NewRecordBatch(s, cols, rec.NumRows())
		if err := w.Write(nr); err != nil {
			t.Fatal(err)
		}
		nr.Release()
		rec.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dst
}

func withMeta(s *arrow.Schema, key, value string) *arrow.Schema {
	md := s.Metadata()
	keys, vals := slices.Clone(md.Keys()), slices.Clone(md.Values())
	if i := md.FindKey(key); i >= 0 {
		vals[i] = value
	} else {
		keys, vals = append(keys, key), append(vals, value)
	}
	m := arrow.NewMetadata(keys, vals)
	return arrow.NewSchema(s.Fields(), &m)
}

func dropField(s *arrow.Schema, cols []arrow.Array, name string) (*arrow.Schema, []arrow.Array) {
	i := s.FieldIndices(name)[0]
	md := s.Metadata()
	return arrow.NewSchema(slices.Delete(slices.Clone(s.Fields()), i, i+1), &md), slices.Delete(cols, i, i+1)
}

func TestForeignAndMismatchedFiles(t *testing.T) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{BatchRows: 20}, 30)
	episodes := filepath.Join(dir, "episodes.arrow")
	pq, err := data.ExportParquet(dir, t.TempDir(), &data.ExportOptions{ReadOptions: data.ReadOptions{Allocator: mem}})
	if err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(t.TempDir(), "episodes.arrow")
	if err := os.WriteFile(text, []byte("run_id,optimizer\nx,ga\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "episodes.arrow")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"csv text", text, "not an Arrow IPC file"},
		{"empty", empty, "empty file"},
		{"parquet", pq[0], "not an Arrow IPC file"},
		{"manifest", filepath.Join(dir, "manifest.json"), "not an Arrow IPC file"},
		{"other table", filepath.Join(dir, "training.arrow"), `holds the "training" table, not episodes`},
		{"attribution table", filepath.Join(dir, "attribution.arrow"), `holds the "attribution" table, not episodes`},
		{"version 1", rewrite(t, episodes, func(s *arrow.Schema, c []arrow.Array) (*arrow.Schema, []arrow.Array) {
			s, c = dropField(s, c, "targets")
			return withMeta(s, data.MetaSchemaVersion, "1"), c
		}), "schema version 1 is older than this reader reads (2)"},
		{"no metadata", rewrite(t, episodes, func(s *arrow.Schema, c []arrow.Array) (*arrow.Schema, []arrow.Array) {
			return arrow.NewSchema(s.Fields(), nil), c
		}), "not a mesa table"},
		{"old version", rewrite(t, episodes, func(s *arrow.Schema, c []arrow.Array) (*arrow.Schema, []arrow.Array) {
			return withMeta(s, data.MetaSchemaVersion, "0"), c
		}), `bad mesa.schema_version "0"`},
		{"missing column", rewrite(t, episodes, func(s *arrow.Schema, c []arrow.Array) (*arrow.Schema, []arrow.Array) {
			return dropField(s, c, "outcome")
		}), `missing column "outcome"`},
		{"missing targets", rewrite(t, episodes, func(s *arrow.Schema, c []arrow.Array) (*arrow.Schema, []arrow.Array) {
			return dropField(s, c, "targets")
		}), `missing column "targets"`},
		{"targets as text", rewrite(t, episodes, func(s *arrow.Schema, c []arrow.Array) (*arrow.Schema, []arrow.Array) {
			s, c = dropField(s, c, "targets")
			b := array.NewStringBuilder(memory.DefaultAllocator)
			defer b.Release()
			for range c[0].Len() {
				b.Append("exit@3")
			}
			md := s.Metadata()
			return arrow.NewSchema(append(s.Fields(), arrow.Field{Name: "targets", Type: arrow.BinaryTypes.String}), &md),
				append(c, b.NewArray())
		}), `column "targets" has type utf8, want list<item: struct<target: utf8, step: int32, pursued: bool>, nullable>`},
		{"wrong type", rewrite(t, episodes, func(s *arrow.Schema, c []arrow.Array) (*arrow.Schema, []arrow.Array) {
			s, c = dropField(s, c, "steps")
			b := array.NewInt64Builder(memory.DefaultAllocator)
			defer b.Release()
			for range c[0].Len() {
				b.Append(1)
			}
			md := s.Metadata()
			return arrow.NewSchema(append(s.Fields(), arrow.Field{Name: "steps", Type: arrow.PrimitiveTypes.Int64}), &md),
				append(c, b.NewArray())
		}), `column "steps" has type int64, want int32`},
	} {
		_, err := readFile(tc.path, mem)
		checkFileError(t, err, tc.path, tc.name)
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestForwardCompatible reads a file from a later schema version that adds
// a column: the reader ignores the column and reads the rest.
func TestForwardCompatible(t *testing.T) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{BatchRows: 20}, 30)
	path := rewrite(t, filepath.Join(dir, "episodes.arrow"), func(s *arrow.Schema, c []arrow.Array) (*arrow.Schema, []arrow.Array) {
		b := array.NewFloat64Builder(memory.DefaultAllocator)
		defer b.Release()
		for range c[0].Len() {
			b.Append(0.5)
		}
		md := s.Metadata()
		fields := append([]arrow.Field{{Name: "future_score", Type: arrow.PrimitiveTypes.Float64}}, s.Fields()...)
		s = withMeta(arrow.NewSchema(fields, &md), data.MetaSchemaVersion, strconv.Itoa(data.SchemaVersion+1))
		return s, append([]arrow.Array{b.NewArray()}, c...)
	})
	r, err := data.OpenEpisodes(path, &data.ReadOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, rows, asWritten(episodeRows(30), "run-test"))
	if r.Meta().SchemaVersion != data.SchemaVersion+1 {
		t.Errorf("schema version %d, want %d", r.Meta().SchemaVersion, data.SchemaVersion+1)
	}
}

// FuzzReadEpisodes feeds arbitrary bytes to the episodes reader: it must
// return rows or a one-line error naming the file, and never panic.
func FuzzReadEpisodes(f *testing.F) {
	for _, comp := range []data.Compression{data.CompressionNone, data.CompressionZstd, data.CompressionLZ4} {
		dir := writeRun(f, memory.DefaultAllocator, data.Options{BatchRows: 3, Compression: comp}, 7)
		b, err := os.ReadFile(filepath.Join(dir, "episodes.arrow"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte("ARROW1\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "episodes.arrow")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		// A small buffer limit keeps corrupt lengths cheap to refuse.
		r, err := data.OpenEpisodes(path, &data.ReadOptions{MaxBuffer: 1 << 20})
		if err != nil {
			checkFileError(t, err, path, "open")
			return
		}
		defer r.Close()
		for r.Next() {
			_ = r.Row()
		}
		if err := r.Err(); err != nil {
			checkFileError(t, err, path, "read")
		}
	})
}
