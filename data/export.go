package data

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ExportOptions tune ExportParquet and ExportCSV. A nil *ExportOptions is
// the zero value.
type ExportOptions struct {
	// ReadOptions tune the readers of the table files.
	ReadOptions
	// Partial exports the finished tables of a partial run: the
	// <table>.partial.arrow files its manifest lists, as
	// <table>.partial.parquet or <table>.partial.csv, so that the names
	// say what they hold. Without it a partial run is an error wrapping
	// ErrPartial.
	Partial bool
}

// ErrPartial is wrapped by the error of exporting a partial run without
// ExportOptions.Partial.
var ErrPartial = errors.New("partial")

// ExportParquet writes every table file listed in the manifest of the run
// in dir as Parquet into outDir: episodes.arrow becomes episodes.parquet.
// Columns are zstd-compressed, the mesa.* schema metadata is kept as
// Parquet key-value metadata, and the Arrow schema is stored too, so that
// pyarrow reads dictionary columns back as categoricals. Each table file
// is verified as OpenRun's readers verify it (the manifest's SHA-256, the
// run id of its rows). It returns the paths written.
//
// outDir "" means dir/parquet, which must not be a symbolic link. Either
// is an output directory (see Output): it must be new, empty, or hold an
// earlier export of the same run, which the new one replaces (only the
// files its marker lists); anything else is refused. Files get their
// names only once every table is written: a failure leaves the earlier
// export as it was, and nothing half-written.
//
// The run must be of a schema version this package reads and complete:
// a partial run (killed, interrupted or failed) is an error naming the run
// directory and the run's status, and nothing is written, unless
// opts.Partial asks for its finished tables.
func ExportParquet(dir, outDir string, opts *ExportOptions) ([]string, error) {
	return export(dir, outDir, ".parquet", opts, writeParquet)
}

// ExportCSV writes every table file listed in the manifest of the run in
// dir as CSV with a header row into outDir ("" means dir/csv). Nulls are
// empty fields; categorical columns hold their names; list columns
// (params, param_names, mesa_objective, targets, graded) hold JSON arrays
// (of objects for lists of structs), with null for non-finite numbers;
// floats use the shortest representation that round-trips, and NaN, Inf
// and -Inf outside lists. CSV carries no schema metadata: keep
// manifest.json beside it. It returns the paths written. It requires of the
// run and of outDir what ExportParquet does.
func ExportCSV(dir, outDir string, opts *ExportOptions) ([]string, error) {
	return export(dir, outDir, ".csv", opts, writeCSV)
}

func export(dir, outDir, ext string, opts *ExportOptions, write func(w io.Writer, t *tableFile, mem memory.Allocator) error) ([]string, error) {
	var o ExportOptions
	if opts != nil {
		o = *opts
	}
	r, err := OpenRun(dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	m := r.m
	if err := exportable(dir, m, o.Partial); err != nil {
		return nil, err
	}
	// Every file verified before anything is written: a refused export
	// leaves nothing.
	if err := r.Verify(); err != nil {
		return nil, err
	}
	mem := memory.DefaultAllocator
	if o.Allocator != nil {
		mem = o.Allocator
	}
	var out *Output
	if outDir == "" {
		out, err = OpenOutputIn(dir, strings.TrimPrefix(ext, "."), OutputExport, []string{m.RunID})
	} else {
		out, err = OpenOutput(outDir, OutputExport, []string{m.RunID})
	}
	if err != nil {
		return nil, err
	}
	defer out.Close()
	names := make([]string, len(m.Tables))
	for i, tf := range m.Tables {
		names[i] = strings.TrimSuffix(tf.File, ".arrow") + ext
	}
	if err := out.Begin(names...); err != nil {
		return nil, err
	}
	for i, tf := range m.Tables {
		t, err := r.table(tf.Table, &o.ReadOptions)
		if err != nil {
			return nil, err
		}
		err = out.WriteFile(names[i], func(w io.Writer) error {
			if err := write(w, t, mem); err != nil {
				return fmt.Errorf("data: export %s: %w", t.path, err)
			}
			return nil
		})
		t.close()
		if err != nil {
			return nil, err
		}
	}
	return out.Commit()
}

// exportable checks that the run m of dir is one to export: of a version
// this package reads, and complete with every table a run writes (all but
// the optional steps table), or, with partial, partial with at least one
// finished table.
func exportable(dir string, m *Manifest, partial bool) error {
	if m.SchemaVersion < oldestReadable {
		return fmt.Errorf("data: export: %s: run of schema version %d is older than this reader reads (%d; see SchemaVersion for what changed); write the run again",
			dir, m.SchemaVersion, oldestReadable)
	}
	if m.Status != StatusComplete {
		why := ""
		if m.Error != "" {
			why = ": " + m.Error
		}
		switch {
		case !partial:
			return fmt.Errorf("data: export: %s: run %s is %w%s", dir, m.RunID, ErrPartial, why)
		case len(m.Tables) == 0:
			return fmt.Errorf("data: export: %s: run %s is %s%s, and has no finished table", dir, m.RunID, m.Status, why)
		}
		return nil
	}
	for _, name := range Tables() {
		if _, ok := m.Table(name); !ok && name != TableSteps && name != TableCurriculum {
			return fmt.Errorf("data: export: %s: the manifest of run %s lists no %s table", dir, m.RunID, name)
		}
	}
	return nil
}

// eachBatch calls fn with every record batch of t, turning an arrow-go
// panic on a corrupt batch into an error (see recovered).
func eachBatch(t *tableFile, fn func(rec arrow.RecordBatch) error) (err error) {
	defer func() { recovered(t.path, recover(), &err) }()
	for i := range t.fr.NumRecords() {
		if err := t.canceled(); err != nil {
			return err
		}
		rec, err := t.fr.RecordBatchAt(i)
		if err != nil {
			return errorf(t.path, "batch %d: %v", i, err)
		}
		err = fn(rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

func writeParquet(w io.Writer, t *tableFile, mem memory.Allocator) error {
	props := parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithAllocator(mem),
		parquet.WithMaxRowGroupLength(1<<20),
	)
	pw, err := pqarrow.NewFileWriter(t.schema, w, props,
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem)))
	if err != nil {
		return err
	}
	err = eachBatch(t, pw.WriteBuffered)
	if cerr := pw.Close(); err == nil {
		err = cerr
	}
	return err
}

func writeCSV(w io.Writer, t *tableFile, _ memory.Allocator) error {
	cw := csv.NewWriter(w)
	header := make([]string, t.schema.NumFields())
	for i, f := range t.schema.Fields() {
		header[i] = f.Name
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	record := make([]string, len(header))
	var sb strings.Builder
	err := eachBatch(t, func(rec arrow.RecordBatch) error {
		for i := range int(rec.NumRows()) {
			for j, col := range rec.Columns() {
				sb.Reset()
				csvCell(&sb, col, i)
				record[j] = sb.String()
			}
			if err := cw.Write(record); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// csvCell writes the CSV text of row i of a into sb; nothing for null.
func csvCell(sb *strings.Builder, a arrow.Array, i int) {
	if a.IsNull(i) {
		return
	}
	switch a := a.(type) {
	case *array.Float64:
		sb.WriteString(formatFloat(a.Value(i)))
	case *array.Dictionary:
		csvCell(sb, a.Dictionary(), a.GetValueIndex(i))
	case *array.String:
		sb.WriteString(a.Value(i))
	case *array.List:
		jsonList(sb, a, i)
	default:
		sb.WriteString(a.ValueStr(i))
	}
}

func formatFloat(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Inf"
	case math.IsInf(x, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// jsonList writes row i of a list column as a JSON array.
func jsonList(sb *strings.Builder, a *array.List, i int) {
	lo, hi := a.ValueOffsets(i)
	sb.WriteByte('[')
	for j := int(lo); j < int(hi); j++ {
		if j > int(lo) {
			sb.WriteByte(',')
		}
		jsonValue(sb, a.ListValues(), j)
	}
	sb.WriteByte(']')
}

func jsonValue(sb *strings.Builder, a arrow.Array, i int) {
	if a.IsNull(i) {
		sb.WriteString("null")
		return
	}
	switch a := a.(type) {
	case *array.Float64:
		if x := a.Value(i); math.IsNaN(x) || math.IsInf(x, 0) {
			sb.WriteString("null")
		} else {
			sb.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		}
	case *array.String:
		jsonString(sb, a.Value(i))
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		sb.WriteByte('{')
		for k := range a.NumField() {
			if k > 0 {
				sb.WriteByte(',')
			}
			jsonString(sb, st.Field(k).Name)
			sb.WriteByte(':')
			jsonValue(sb, a.Field(k), i)
		}
		sb.WriteByte('}')
	case *array.List:
		jsonList(sb, a, i)
	case *array.Int16:
		sb.WriteString(strconv.FormatInt(int64(a.Value(i)), 10))
	case *array.Int32:
		sb.WriteString(strconv.FormatInt(int64(a.Value(i)), 10))
	case *array.Int64:
		sb.WriteString(strconv.FormatInt(a.Value(i), 10))
	case *array.Boolean:
		sb.WriteString(strconv.FormatBool(a.Value(i)))
	default:
		jsonString(sb, a.ValueStr(i))
	}
}

func jsonString(sb *strings.Builder, s string) {
	b, _ := json.Marshal(s) // a string always marshals
	sb.Write(b)
}
