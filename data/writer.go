package data

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// RunInfo is the provenance of a run, written into the manifest and into
// the schema metadata of every table.
type RunInfo struct {
	// RunID names the run; required.
	RunID string
	// RootSeed is the seed every random stream of the run derives from.
	RootSeed uint64
	// Config is the resolved configuration (YAML or JSON), stored verbatim.
	Config []byte
	// Versions records component versions, e.g. BuildVersions().
	Versions map[string]string
	// Families, Distributions and Splits extend the built-in vocabularies
	// of those columns (see Vocabulary) with the names this run writes,
	// e.g. scripted agents' specs and the config's distributions and
	// splits. Each dictionary column's vocabulary is fixed when the run is
	// created; duplicates and empty names are ignored.
	Families      []string
	Distributions []string
	Splits        []string
	// Optimizers extends the optimizer vocabulary with the base
	// optimizers a program registers beside ga, es and sgd ("cmaes").
	Optimizers []string
	// Params are the parameters of the sweep the run belongs to, and
	// Points its points (all of them, not only those this writer writes,
	// so that every part of a sweep has the same dictionaries). Every
	// table gets a param.<path> column per parameter, and the manifest
	// records both. See Writer.SetPoint and the package doc's Sweeps.
	Params []Param
	Points []PointInfo
	// Summary is a typed summary of the config, as JSON, for reports
	// (experiment.Summary); stored verbatim in the manifest.
	Summary json.RawMessage
}

// Compression of the record batch bodies of the Arrow files.
type Compression string

// Compressions the writer supports.
//
// CompressionNone is the default. Measured (BenchmarkWriteEpisodes and
// BenchmarkReadEpisodes, one core, under load), compression buys size but
// not speed: writing episodes runs at about 3.0M rows/s uncompressed, 3.1M
// with lz4 and 2.7M with zstd, reading at 6.6M, 5.3M and 5.0M, while a row
// takes 98 bytes uncompressed, 28 with lz4 and 26 with zstd. What decides
// is readers: apache-arrow JS (21.2) refuses compressed IPC files unless
// the user registers a codec ("Dictionary batch is compressed but codec
// not found"), while pyarrow, polars, R arrow and arrow-go read all three.
// So the default is the one every reader of the contract opens; runs that
// are kept use lz4 or zstd, or `mesa export` to zstd Parquet.
const (
	CompressionNone Compression = "none"
	CompressionLZ4  Compression = "lz4"
	CompressionZstd Compression = "zstd"
)

// DefaultBatchRows is the number of rows per record batch of zero Options.
const DefaultBatchRows = 1 << 16

// Options tune a Writer. The zero value works.
type Options struct {
	// BatchRows is the number of rows per record batch; 0 means
	// DefaultBatchRows.
	BatchRows int
	// Compression of the files; "" means CompressionNone.
	Compression Compression
	// Steps enables the steps table (one row per environment step).
	Steps bool
	// Curriculum enables the curriculum table (the training levels of
	// each checkpoint; see CurriculumRow).
	Curriculum bool
	// OmitTiming writes null elapsed_ms, so that two runs with the same
	// seed write byte-identical training tables.
	OmitTiming bool
	// Overwrite allows Create on a directory that already holds a run
	// (a manifest.json): everything mesa derived there is removed first,
	// as by RemoveRun, exports and reports included.
	Overwrite bool
	// Allocator for Arrow buffers; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
}

// A Writer writes the tables of one run into a directory. Rows are written
// in call order, so a caller that wants byte-identical files for any number
// of workers appends in a fixed order (rows made concurrently are kept
// aside and appended in order afterwards). A Writer is safe
// for concurrent use.
//
// Each table is streamed into <table>.arrow.tmp and renamed to
// <table>.arrow by Close, after which manifest.json is replaced atomically
// by one with status "complete". Until then the directory holds a manifest
// with status "partial", so a killed run never looks complete.
type Writer struct {
	dir  string
	root *os.Root // dir; closed with the writer
	info RunInfo
	// names are the file names the writer may leave (the manifest's
	// writing list while the run is partial).
	names []string
	opts  Options

	sweep *sweep

	mu       sync.Mutex
	tables   [numTables]*tableWriter // in Tables() order; steps and curriculum nil unless enabled
	point    *point                  // the current sweep point, shared by the tables
	done     bool
	complete bool    // Close succeeded
	err      error   // sticky: an I/O failure breaks the writer
	staged   *staged // for a unit's or a merge's writer (see DirLock.CreateUnit)
}

// checkCreate checks the info and options of a new run, and fills the
// options' defaults.
func checkCreate(info *RunInfo, opts *Options) error {
	if info.RunID == "" {
		return errors.New("data: create: RunInfo.RunID is empty")
	}
	switch opts.Compression {
	case "":
		opts.Compression = CompressionNone
	case CompressionNone, CompressionLZ4, CompressionZstd:
	default:
		return fmt.Errorf("data: create: unknown compression %q (none, lz4 or zstd)", opts.Compression)
	}
	if opts.BatchRows < 0 {
		return fmt.Errorf("data: create: batch rows %d is negative", opts.BatchRows)
	}
	if opts.BatchRows == 0 {
		opts.BatchRows = DefaultBatchRows
	}
	if opts.Allocator == nil {
		opts.Allocator = memory.DefaultAllocator
	}
	return nil
}

// Create starts a run in dir, creating it if needed. dir must not exist,
// be empty, or, with Options.Overwrite, hold a run of mesa's, which is
// removed first as by RemoveRun; a directory holding anything else is
// refused (see CheckRunDir). Files are created, never opened over an
// existing file, and symbolic links in dir are never followed.
func Create(dir string, info RunInfo, opts Options) (*Writer, error) {
	if err := checkCreate(&info, &opts); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data: create: %w", fileError{err})
	}
	root, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	st, err := inspect(root)
	if err != nil {
		root.Close()
		return nil, err
	}
	switch {
	case st.kind == dirRun && opts.Overwrite:
		if err := RemoveRun(dir); err != nil {
			root.Close()
			return nil, err
		}
	case st.kind == dirRun:
		root.Close()
		return nil, fmt.Errorf("data: create: %s already holds run %s; refusing to overwrite", dir, st.runID)
	case st.kind != dirEmpty:
		root.Close()
		return nil, refusal(dir, st)
	}
	return newWriter(root, info, opts)
}

// newWriter starts a run in the directory of root, which is empty or
// holds only what the caller allows beside the run, and takes root over.
func newWriter(root *os.Root, info RunInfo, opts Options) (*Writer, error) {
	dir := root.Name()
	sw, err := newSweep(&info)
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("data: create: %w", err)
	}
	versions, err := json.Marshal(info.Versions)
	if err != nil {
		root.Close()
		return nil, fmt.Errorf("data: create: versions: %w", err)
	}
	if info.Versions == nil {
		versions = []byte("{}")
	}
	w := &Writer{dir: dir, root: root, info: info, opts: opts, sweep: sw, point: &point{}}
	for _, name := range Tables() {
		if opts.enables(name) {
			w.names = append(w.names, FileName(name)+".tmp", compactName(name), FileName(name), partialName(name))
		}
	}
	if err := w.writeManifest(StatusPartial, errNotClosed, nil); err != nil {
		root.Close()
		return nil, err
	}
	vocab := map[string][]string{vocabRunID: {info.RunID}}
	for name, v := range sw.vocab {
		vocab[name] = v
	}
	for _, name := range vocabularyNames() {
		vocab[name] = Vocabulary(name)
	}
	vocab[VocabOptimizer] = append(vocab[VocabOptimizer], info.Optimizers...)
	vocab[VocabFamily] = append(vocab[VocabFamily], info.Families...)
	vocab[VocabDistribution] = append(vocab[VocabDistribution], info.Distributions...)
	vocab[VocabSplit] = append(vocab[VocabSplit], info.Splits...)
	for i, name := range Tables() {
		if !opts.enables(name) {
			continue
		}
		md := runMetadata(name, &info, string(versions))
		t, err := newTableWriter(root, name, schemaWith(name, info.Params, &md), info.RunID, vocab, &opts, info.Params, w.point)
		if err != nil {
			w.closeFiles()
			root.Close()
			return nil, err
		}
		w.tables[i] = t
	}
	return w, nil
}

// enables reports whether a run with these options writes table.
func (o *Options) enables(table string) bool {
	switch table {
	case TableSteps:
		return o.Steps
	case TableCurriculum:
		return o.Curriculum
	}
	return true
}

const errNotClosed = "not closed: the run is in progress, or was killed"

func partialName(table string) string { return table + ".partial.arrow" }

// closed checks that Close succeeded.
func (w *Writer) closed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.complete {
		return fmt.Errorf("data: %s: the run was not closed complete", w.dir)
	}
	return nil
}

// Dir returns the run directory.
func (w *Writer) Dir() string { return w.dir }

// Steps reports whether the steps table is written.
func (w *Writer) Steps() bool { return w.opts.Steps }

// Curriculum reports whether the curriculum table is written.
func (w *Writer) Curriculum() bool { return w.opts.Curriculum }

// AppendEpisodes appends rows to the episodes table. A row with a value
// outside its column's vocabulary or range is rejected with an error naming
// the column, and the rows before it are kept. So is a row whose Targets
// hold a target other than "exit", "apple:<colour>" or "region:<corner>" or
// a step below 1, or whose ProbeFirst is set without Probe or Probe without
// ProbeFirst. It does not retain the rows' slices.
func (w *Writer) AppendEpisodes(rows ...EpisodeRow) error {
	return appendRows(w, tabEpisodes, rows, (*tableWriter).appendEpisode)
}

// AppendTraining appends rows to the training table.
func (w *Writer) AppendTraining(rows ...TrainingRow) error {
	return appendRows(w, tabTraining, rows, (*tableWriter).appendTraining)
}

// AppendAgents appends rows to the agents table. It does not retain the
// rows' slices.
func (w *Writer) AppendAgents(rows ...AgentRow) error {
	return appendRows(w, tabAgents, rows, (*tableWriter).appendAgent)
}

// AppendAttribution appends rows to the attribution table, rejecting like
// AppendEpisodes a row with a value outside its column's vocabulary or
// range.
func (w *Writer) AppendAttribution(rows ...AttributionRow) error {
	return appendRows(w, tabAttribution, rows, (*tableWriter).appendAttribution)
}

// AppendSteps appends rows to the steps table; it is an error unless
// Options.Steps was set.
func (w *Writer) AppendSteps(rows ...StepRow) error {
	return appendRows(w, tabSteps, rows, (*tableWriter).appendStep)
}

func appendRows[R any](w *Writer, table int, rows []R, add func(*tableWriter, *R) error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	t := w.tables[table]
	if t == nil {
		opt := map[int]string{tabSteps: "Steps", tabCurriculum: "Curriculum"}[table]
		return fmt.Errorf("data: %s: the %s table is not enabled (Options.%s)", Tables()[table], Tables()[table], opt)
	}
	if len(w.info.Params) > 0 && !w.point.set {
		return fmt.Errorf("data: %s: the run has sweep params: call SetPoint before appending rows", t.name)
	}
	for i := range rows {
		// A full batch is written when the next row comes, not when it
		// fills: a table of one batch is then known to be one when Close
		// writes it, and its dictionaries hold only the values it uses.
		if t.rows >= w.opts.BatchRows {
			if err := t.flush(); err != nil {
				w.err = err
				return err
			}
		}
		if err := add(t, &rows[i]); err != nil {
			return fmt.Errorf("data: %s: row %d: %w", t.name, t.total+int64(t.rows), err)
		}
	}
	return nil
}

func (w *Writer) usable() error {
	if w.done {
		return errors.New("data: writer is closed")
	}
	return w.err
}

// Close flushes every table, writes its footer and syncs it, then renames
// each to its final name and writes a complete manifest. A table gets its
// final name only once every table is complete. If any of that fails,
// Close leaves the run as Abort does and returns the error, one line
// naming the file and the OS error ("data: /runs/x/agents.arrow.tmp:
// write: file too large"). Close releases every Arrow buffer the writer
// holds; calling it again returns an error.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		if !w.done {
			w.abortLocked(err)
		}
		return err
	}
	for _, t := range w.tables {
		if t == nil {
			continue
		}
		if err := t.finish(); err != nil {
			w.err = err
			w.abortLocked(err)
			return err
		}
	}
	var files []TableFile
	for _, t := range w.tables {
		if t == nil {
			continue
		}
		if err := t.rename(FileName(t.name)); err != nil {
			w.err = err
			w.abortLocked(err)
			return err
		}
		files = append(files, t.file)
	}
	w.done = true
	defer w.root.Close()
	if err := w.writeManifest(StatusComplete, "", files); err == nil {
		w.complete = true
	} else {
		// The manifest still says partial: take the final names back, so
		// that no file looks like part of a complete run, and try to list
		// the tables in a partial manifest.
		files = files[:0]
		for _, t := range w.tables {
			if t != nil && t.rename(partialName(t.name)) == nil {
				files = append(files, t.file)
			}
		}
		_ = w.writeManifest(StatusPartial, oneLine(err.Error()), files)
		return err
	}
	return nil
}

// Abort ends the run as partial: each table is finished as a valid Arrow
// file named <table>.partial.arrow holding the rows appended so far (a
// table that cannot be finished, or whose writing failed, is left as
// .arrow.tmp and not listed), and the manifest records status "partial"
// with cause's message. It returns an error only if the manifest cannot be
// written.
func (w *Writer) Abort(cause error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return errors.New("data: writer is closed")
	}
	return w.abortLocked(cause)
}

func (w *Writer) abortLocked(cause error) error {
	w.done = true
	defer w.root.Close()
	var files []TableFile
	for _, t := range w.tables {
		if t == nil {
			continue
		}
		if t.state == tableOpen {
			_ = t.finish() // on failure the table is left as .arrow.tmp
		}
		if t.state == tableFailed {
			t.discard()
			continue
		}
		if err := t.rename(partialName(t.name)); err != nil {
			continue
		}
		files = append(files, t.file)
	}
	msg := "aborted"
	if cause != nil {
		msg = oneLine(cause.Error())
	}
	return w.writeManifest(StatusPartial, msg, files)
}

// closeFiles releases the tables of a writer that failed to start.
func (w *Writer) closeFiles() {
	for _, t := range w.tables {
		if t != nil {
			t.discard()
		}
	}
}

func (w *Writer) writeManifest(status, msg string, files []TableFile) error {
	m := &Manifest{
		Format: ManifestFormat, SchemaVersion: SchemaVersion, RunID: w.info.RunID, RootSeed: w.info.RootSeed,
		Status: status, Error: msg, Compression: string(w.opts.Compression), Config: string(w.info.Config),
		Versions: w.info.Versions, Params: w.info.Params, Points: w.info.Points, Summary: w.info.Summary, Tables: files,
	}
	if m.Tables == nil {
		m.Tables = []TableFile{}
	}
	if status != StatusComplete {
		m.Writing = w.names
	}
	return writeSealed(w.root, ManifestFile, m)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// A tableWriter streams one table into its .tmp file. Rows accumulate in
// column buffers (plain Go slices, reused from batch to batch) and become
// Arrow arrays in bulk when a batch is flushed: far cheaper than an Arrow
// builder call per value.
//
// A table is open until finish, which leaves it complete (footer written,
// synced, closed, still named .arrow.tmp) or failed; rename then gives a
// complete table its name. A failed table is never written again: its
// buffers are released, and its .tmp file stays behind as evidence.
type tableWriter struct {
	name   string
	root   *os.Root // the run directory
	schema *arrow.Schema
	mem    memory.Allocator

	f     *os.File
	out   osWriter // f, remembering its first error
	buf   *bufio.Writer
	sum   hash.Hash
	count countingWriter
	fw    *ipc.FileWriter

	cols        []colBuffer // in schema order
	compression Compression
	runID       string  // the one value of the run_id column
	noTiming    bool    // Options.OmitTiming
	params      []Param // the run's sweep parameters, columns after point
	point       *point  // the writer's current point

	rows    int   // rows in the current batch
	total   int64 // rows in flushed batches
	batches int

	state tableState
	cur   string    // the file's name now: the .tmp name, then its final one
	path  string    // cur in the run directory, for messages
	file  TableFile // the manifest entry of a complete table
}

type tableState int

const (
	tableOpen     tableState = iota
	tableComplete            // finished: footer written, file synced and closed
	tableFailed              // an I/O error; never written again
)

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// An osWriter writes to a file and remembers the first error, so that the
// error a table reports is the OS's ("write: file too large") whatever
// arrow-go and bufio wrapped around it.
type osWriter struct {
	f   *os.File
	err error
}

func (w *osWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil && w.err == nil {
		w.err = err
	}
	return n, err
}

// createTableFile creates a table's .tmp file in root; the tests replace
// it to write a table onto a full device.
var createTableFile = createExcl

func newTableWriter(root *os.Root, name string, schema *arrow.Schema, runID string, vocab map[string][]string, opts *Options, params []Param, cur *point) (*tableWriter, error) {
	tmp := FileName(name) + ".tmp"
	t := &tableWriter{name: name, root: root, schema: schema, mem: opts.Allocator,
		runID: runID, noTiming: opts.OmitTiming, params: params, point: cur, compression: opts.Compression}
	for _, c := range append(slices.Clip(tableColumns(name)), paramColumns(params)...) {
		b, err := newColBuffer(c, vocab, opts.Allocator)
		if err != nil {
			t.release()
			return nil, fmt.Errorf("data: create: %s.%w", name, err)
		}
		t.cols = append(t.cols, b)
	}
	if err := t.create(tmp); err != nil {
		t.release()
		return nil, err
	}
	return t, nil
}

// compactName is the file a table with several batches is rewritten into
// with dictionaries of only the values it uses (see compact).
func compactName(table string) string { return FileName(table) + ".compact.tmp" }

// create starts the table's Arrow file under name in the run directory:
// everything written goes through the SHA-256 and the byte count of the
// manifest entry.
func (t *tableWriter) create(name string) error {
	f, err := createTableFile(t.root, name)
	if err != nil {
		return err
	}
	t.cur, t.path, t.sum, t.count = name, pathIn(t.root, name), sha256.New(), countingWriter{}
	t.f, t.out = f, osWriter{f: f}
	t.buf = bufio.NewWriterSize(io.MultiWriter(&t.out, t.sum, &t.count), 1<<16)
	ipcOpts := []ipc.Option{ipc.WithSchema(t.schema), ipc.WithAllocator(t.mem)}
	switch t.compression {
	case CompressionLZ4:
		ipcOpts = append(ipcOpts, ipc.WithLZ4())
	case CompressionZstd:
		ipcOpts = append(ipcOpts, ipc.WithZstd())
	}
	t.fw, err = ipc.NewFileWriter(t.buf, ipcOpts...)
	if err != nil {
		t.discard()
		return fmt.Errorf("data: create: %w", err)
	}
	return nil
}

// end finishes appending a row: on error it drops the row's values from
// every column, so that columns never get out of step.
func (t *tableWriter) end(c *rowCheck) error {
	if c.err != nil {
		for _, b := range t.cols {
			b.truncate(t.rows)
		}
		return c.err
	}
	t.rows++
	return nil
}

// flush writes the current batch. On failure the table is failed and the
// error is one line naming the file.
func (t *tableWriter) flush() error {
	if t.state != tableOpen {
		return t.notOpen()
	}
	if t.rows == 0 {
		return nil
	}
	cols := make([]arrow.Array, len(t.cols))
	for i, b := range t.cols {
		cols[i] = b.build(t.mem)
	}
	rec := array.NewRecordBatch(t.schema, cols, int64(t.rows))
	for _, c := range cols {
		c.Release()
	}
	defer rec.Release()
	if err := t.fw.Write(rec); err != nil {
		return t.fail(err)
	}
	t.total += int64(t.rows)
	t.rows = 0
	t.batches++
	return nil
}

func (t *tableWriter) notOpen() error {
	if t.state == tableFailed {
		return fmt.Errorf("data: %s: the table failed earlier and is not written again", t.path)
	}
	return fmt.Errorf("data: %s: the table is finished", t.path)
}

// fail marks the table failed, closes its file (leaving the .tmp behind)
// and releases its buffers. It returns err as one line naming the file and
// the OS error that caused it, if there was one.
func (t *tableWriter) fail(err error) error {
	cause := t.out.err
	if cause == nil {
		cause = err
	}
	t.state = tableFailed
	t.discard()
	var pe *fs.PathError
	if errors.As(cause, &pe) {
		return fmt.Errorf("data: %w", fileError{cause})
	}
	return fmt.Errorf("data: %s: %w", t.path, fileError{cause})
}

// A fileError is an OS error on one line with its file first: "path: op:
// cause" ("/runs/x/episodes.arrow.tmp: write: file too large") rather than
// Go's "write /runs/x/episodes.arrow.tmp: file too large". Other errors
// are put on one line.
type fileError struct{ err error }

func (e fileError) Error() string {
	var pe *fs.PathError
	if errors.As(e.err, &pe) {
		return pe.Path + ": " + pe.Op + ": " + pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(e.err, &le) {
		return le.Old + ": " + le.Op + " to " + le.New + ": " + le.Err.Error()
	}
	return oneLine(e.err.Error())
}

func (e fileError) Unwrap() error { return e.err }

// finish flushes the last batch, writes the footer, syncs and closes the
// file, leaving the table complete under its temporary name, and releases
// the table's buffers. Its dictionaries hold only the values its rows use:
// a table of one batch is written so; one of several batches, whose first
// batch carried the whole vocabulary, is rewritten so (see compact). On
// failure the table is failed (see fail). It is an error to finish a
// table twice or a failed one.
func (t *tableWriter) finish() error {
	if t.state != tableOpen {
		return t.notOpen()
	}
	if t.batches == 0 {
		for _, b := range t.cols {
			if d, ok := b.(*dictBuffer); ok {
				d.restrict(t.mem)
			}
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	if err := t.closeFile(); err != nil {
		return err
	}
	if err := t.compact(); err != nil {
		return err
	}
	t.release()
	t.state = tableComplete
	t.file = TableFile{Table: t.name, File: t.cur, Rows: t.total, Batches: t.batches, Bytes: t.count.n, SHA256: hex.EncodeToString(t.sum.Sum(nil))}
	return nil
}

// closeFile writes the file's footer, syncs and closes it.
func (t *tableWriter) closeFile() error {
	if err := t.fw.Close(); err != nil {
		return t.fail(err)
	}
	t.fw = nil
	if err := t.buf.Flush(); err != nil {
		return t.fail(err)
	}
	if err := t.f.Sync(); err != nil {
		return t.fail(err)
	}
	err := t.f.Close()
	t.f = nil
	if err != nil {
		return t.fail(err)
	}
	return nil
}

// compact rewrites a closed table of several batches whose dictionaries
// hold values no row uses into compactName, each dictionary restricted to
// the values used (in vocabulary order) and its indices renumbered, and
// removes the first file. Other columns are copied as they are. A table
// of one batch was restricted before it was written and is left alone.
func (t *tableWriter) compact() error {
	var remaps [][]int // by column; nil where nothing changes
	var values []arrow.Array
	changed := false
	for _, b := range t.cols {
		d, ok := b.(*dictBuffer)
		if !ok {
			remaps, values = append(remaps, nil), append(values, nil)
			continue
		}
		remap, vals := d.usedOnly(t.mem)
		remaps, values = append(remaps, remap), append(values, vals)
		changed = changed || remap != nil
	}
	defer func() {
		for _, v := range values {
			if v != nil {
				v.Release()
			}
		}
	}()
	if !changed {
		return nil
	}
	first := t.cur
	in, err := openRegular(t.root, first)
	if err != nil {
		return t.fail(err)
	}
	defer in.Close()
	r, err := ipc.NewFileReader(in, ipc.WithAllocator(t.mem))
	if err != nil {
		return t.fail(err)
	}
	defer r.Close()
	if err := t.create(compactName(t.name)); err != nil {
		t.state = tableFailed
		return err
	}
	for i := range r.NumRecords() {
		rec, err := r.RecordBatch(i)
		if err != nil {
			return t.fail(err)
		}
		cols := make([]arrow.Array, rec.NumCols())
		for k := range cols {
			if remaps[k] == nil {
				cols[k] = rec.Column(k)
				cols[k].Retain()
				continue
			}
			cols[k] = renumber(t.mem, rec.Column(k).(*array.Dictionary), remaps[k], values[k])
		}
		out := array.NewRecordBatch(t.schema, cols, rec.NumRows())
		for _, c := range cols {
			c.Release()
		}
		err = t.fw.Write(out)
		out.Release()
		if err != nil {
			return t.fail(err)
		}
	}
	if err := t.closeFile(); err != nil {
		return err
	}
	return removeRegular(t.root, first)
}

// renumber returns the dictionary array d with each index i replaced by
// remap[i], over the dictionary values.
func renumber(mem memory.Allocator, d *array.Dictionary, remap []int, values arrow.Array) arrow.Array {
	typ := d.DataType().(*arrow.DictionaryType)
	idx := d.Indices()
	b := array.NewBuilder(mem, typ.IndexType)
	defer b.Release()
	b.Reserve(idx.Len())
	for j := range idx.Len() {
		if idx.IsNull(j) {
			b.AppendNull()
			continue
		}
		switch ib := b.(type) {
		case *array.Int8Builder:
			ib.Append(int8(remap[d.GetValueIndex(j)]))
		case *array.Int16Builder:
			ib.Append(int16(remap[d.GetValueIndex(j)]))
		}
	}
	ni := b.NewArray()
	defer ni.Release()
	return array.NewDictionaryArray(typ, ni, values)
}

// rename gives a complete table the file name name.
func (t *tableWriter) rename(name string) error {
	if t.state != tableComplete {
		return t.notOpen()
	}
	if name == t.cur {
		return nil
	}
	if err := place(t.root, t.cur, name); err != nil {
		return err
	}
	t.cur, t.path, t.file.File = name, pathIn(t.root, name), name
	return nil
}

// discard closes the file, leaving it behind, and releases buffers. It may
// be called more than once.
func (t *tableWriter) discard() {
	if t.fw != nil {
		_ = t.fw.Close()
		t.fw = nil
	}
	if t.f != nil {
		_ = t.f.Close()
		t.f = nil
	}
	t.release()
}

func (t *tableWriter) release() {
	for _, b := range t.cols {
		b.release()
	}
	t.cols = nil
}

// A rowCheck converts the values of one row, remembering the first error.
type rowCheck struct {
	t   *tableWriter
	err error
}

func (c *rowCheck) i16(col, v int) int16 {
	if v < math.MinInt16 || v > math.MaxInt16 {
		c.fail(col, "%d out of int16 range", v)
	}
	return int16(v)
}

func (c *rowCheck) i32(col, v int) int32 {
	if v < math.MinInt32 || v > math.MaxInt32 {
		c.fail(col, "%d out of int32 range", v)
	}
	return int32(v)
}

// seedIndex checks a seed index: from 0, within int32.
func (c *rowCheck) seedIndex(col, v int) int32 {
	if v < 0 {
		c.fail(col, "%d is negative", v)
	}
	return c.i32(col, v)
}

func (c *rowCheck) fail(col int, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%s: "+format, append([]any{c.t.schema.Field(col).Name}, args...)...)
	}
}

// dict appends v to dictionary column col ("" is null in a nullable one).
func (c *rowCheck) dict(col int, v string) {
	d := c.t.cols[col].(*dictBuffer)
	if err := d.add(v); err != nil && c.err == nil {
		c.err = err
	}
}

// Typed access to the column buffers of a table.
func vecAt[T any](t *tableWriter, col int) *vec[T] { return t.cols[col].(*vec[T]) }

func (t *tableWriter) appendEpisode(r *EpisodeRow) error {
	c := rowCheck{t: t}
	c.dict(epRunID, t.runID)
	c.dict(epOptimizer, r.Optimizer)
	c.dict(epFamily, r.Family)
	vecAt[string](t, epAgentID).add(r.AgentID)
	vecAt[uint64](t, epAgentSeed).add(r.AgentSeed)
	vecAt[int32](t, epSeedIndex).add(c.seedIndex(epSeedIndex, r.SeedIndex))
	c.dict(epSplit, r.Split)
	vecAt[uint64](t, epLevelSeed).add(r.LevelSeed)
	i16 := func(col, v int) { vecAt[int16](t, col).add(c.i16(col, v)) }
	i32 := func(col, v int) { vecAt[int32](t, col).add(c.i32(col, v)) }
	i32null0 := func(col, v int) { vecAt[int32](t, col).addOrNull(c.i32(col, v), v == 0) }
	b := func(col int, v bool) { vecAt[bool](t, col).add(v) }
	i16(epWidth, r.Width)
	i16(epHeight, r.Height)
	i32(epSteps, r.Steps)
	vecAt[float64](t, epBaseReturn).add(r.BaseReturn)
	b(epReachedExit, r.ReachedExit)
	c.dict(epFirstTarget, r.FirstTarget)
	c.dict(epOutcome, r.Outcome)
	c.dict(epProxy, r.Proxy)
	c.dict(epPursuedRole, r.PursuedRole)
	if (r.PursuedRole == "") != (r.Outcome == "") {
		c.fail(epPursuedRole, "%q with outcome %q: set both on classified episodes, neither elsewhere", r.PursuedRole, r.Outcome)
	}
	i32(epApplesEaten, r.ApplesEaten)
	i32(epEpisode, r.Episode)
	c.dict(epDistribution, r.Distribution)
	b(epGreedy, r.Greedy)
	i32null0(epFirstStep, r.FirstStep)
	i32(epStepLimit, r.StepLimit)
	c.dict(epExitColour, r.ExitColour)
	i16(epExitX, r.ExitX)
	i16(epExitY, r.ExitY)
	i16(epStartX, r.StartX)
	i16(epStartY, r.StartY)
	i16(epEndX, r.EndX)
	i16(epEndY, r.EndY)
	i32(epApples, r.Apples)
	b(epRandomized, r.Randomized)
	b(epCue, r.Cue)
	i32null0(epShortestPath, r.ShortestPath)
	i32(epCellsVisited, r.CellsVisited)
	for k, v := range r.Targets {
		if !validTarget(v.Target) {
			c.fail(epTargets, "element %d: target %q is not exit, apple:<colour> or region:<corner>", k, v.Target)
		}
		if v.Step < 1 || v.Step > math.MaxInt32 {
			c.fail(epTargets, "element %d: step %d out of range [1, %d]", k, v.Step, math.MaxInt32)
		}
	}
	t.cols[epTargets].(*listBuffer[TargetVisit]).add(r.Targets, r.Targets == nil)
	c.dict(epProbe, r.Probe)
	c.dict(epProbeFirst, r.ProbeFirst)
	if (r.Probe == "") != (r.ProbeFirst == "") {
		c.fail(epProbeFirst, "%q with probe %q: set both on probe levels, neither elsewhere", r.ProbeFirst, r.Probe)
	}
	t.appendPoint(&c, epPoint, r.Point)
	return t.end(&c)
}

func (t *tableWriter) appendTraining(r *TrainingRow) error {
	c := rowCheck{t: t}
	f := func(col int, v float64) { vecAt[float64](t, col).add(v) }
	c.dict(trRunID, t.runID)
	c.dict(trOptimizer, r.Optimizer)
	c.dict(trFamily, r.Family)
	vecAt[uint64](t, trAgentSeed).add(r.AgentSeed)
	vecAt[int32](t, trSeedIndex).add(c.seedIndex(trSeedIndex, r.SeedIndex))
	vecAt[int32](t, trPopulation).add(c.i32(trPopulation, r.Population))
	vecAt[int32](t, trIteration).add(c.i32(trIteration, r.Iteration))
	vecAt[int64](t, trEnvSteps).add(int64(r.EnvSteps))
	vecAt[int64](t, trEpisodes).add(int64(r.Episodes))
	f(trFitnessMin, r.FitnessMin)
	f(trFitnessMean, r.FitnessMean)
	f(trFitnessMax, r.FitnessMax)
	f(trFitnessStd, r.FitnessStd)
	f(trBest, r.Best)
	f(trGradNorm, r.GradNorm)
	f(trEntropy, r.Entropy)
	f(trStepSize, r.StepSize)
	vecAt[float64](t, trElapsedMS).addOrNull(float64(r.Elapsed)/1e6, r.Elapsed == 0 || t.noTiming)
	c.dict(trDistribution, r.Distribution)
	f(trParamNorm, r.ParamNorm)
	vecAt[float64](t, trMonitorSuccess).addOrNull(r.MonitorSuccess, !r.Monitored)
	vecAt[float64](t, trMonitorReturn).addOrNull(r.MonitorReturn, !r.Monitored)
	t.appendPoint(&c, trPoint, r.Point)
	return t.end(&c)
}

func (t *tableWriter) appendAgent(r *AgentRow) error {
	c := rowCheck{t: t}
	if len(r.ParamNames) != 0 && len(r.ParamNames) != len(r.Params) {
		c.fail(agParamNames, "%d names for %d params", len(r.ParamNames), len(r.Params))
	}
	c.dict(agRunID, t.runID)
	c.dict(agOptimizer, r.Optimizer)
	c.dict(agFamily, r.Family)
	vecAt[string](t, agAgentID).add(r.AgentID)
	vecAt[uint64](t, agAgentSeed).add(r.AgentSeed)
	vecAt[int32](t, agSeedIndex).add(c.seedIndex(agSeedIndex, r.SeedIndex))
	c.dict(agRole, r.Role)
	vecAt[int32](t, agIndex).add(c.i32(agIndex, r.Index))
	vecAt[float64](t, agFitness).add(r.Fitness)
	t.cols[agParams].(*listBuffer[float64]).add(r.Params, false)
	t.cols[agParamNames].(*listBuffer[string]).add(r.ParamNames, r.ParamNames == nil)
	t.cols[agObjective].(*listBuffer[Weight]).add(r.Objective, r.Objective == nil)
	c.dict(agStatus, r.Status)
	vecAt[int64](t, agEnvSteps).add(int64(r.EnvSteps))
	vecAt[int64](t, agEpisodes).add(int64(r.Episodes))
	vecAt[int32](t, agIterations).add(c.i32(agIterations, r.Iterations))
	c.dict(agDistribution, r.Distribution)
	t.appendPoint(&c, agPoint, r.Point)
	return t.end(&c)
}

func (t *tableWriter) appendAttribution(r *AttributionRow) error {
	c := rowCheck{t: t}
	f := func(col int, v float64) { vecAt[float64](t, col).add(v) }
	fNaNNull := func(col int, v float64) { vecAt[float64](t, col).addOrNull(v, math.IsNaN(v)) }
	i32 := func(col, v int) { vecAt[int32](t, col).add(c.i32(col, v)) }
	c.dict(atRunID, t.runID)
	c.dict(atOptimizer, r.Optimizer)
	c.dict(atFamily, r.Family)
	vecAt[string](t, atAgentID).add(r.AgentID)
	vecAt[uint64](t, atAgentSeed).add(r.AgentSeed)
	vecAt[int32](t, atSeedIndex).add(c.seedIndex(atSeedIndex, r.SeedIndex))
	c.dict(atCandidate, r.Candidate)
	c.dict(atRole, r.Role)
	c.dict(atControl, r.Control)
	i32(atProbes, r.Probes)
	i32(atExitFirst, r.ExitFirst)
	i32(atTargetFirst, r.TargetFirst)
	i32(atControlFirst, r.ControlFirst)
	f(atTargetRate, r.TargetRate)
	f(atTargetLo, r.TargetLo)
	f(atTargetHi, r.TargetHi)
	f(atControlRate, r.ControlRate)
	f(atControlLo, r.ControlLo)
	f(atControlHi, r.ControlHi)
	fNaNNull(atPValue, r.PValue)
	vecAt[bool](t, atPursued).add(r.Pursued)
	f(atBeta, r.Beta)
	f(atLogLik, r.LogLik)
	f(atLogEvidence, r.LogEvidence)
	f(atPosterior, r.Posterior)
	vecAt[bool](t, atAttributed).add(r.Attributed)
	fNaNNull(atReadout, r.Readout)
	vecAt[int64](t, atProbeSteps).add(int64(r.ProbeSteps))
	c.dict(atVerdict, r.Verdict)
	fNaNNull(atStability, r.Stability)
	fNaNNull(atShare, r.Share)
	fNaNNull(atGain, r.Gain)
	fNaNNull(atKStar, r.KStar)
	fNaNNull(atKLo, r.KLo)
	fNaNNull(atKHi, r.KHi)
	c.dict(atKCensored, r.KCensored)
	fNaNNull(atStrength, r.Strength)
	fNaNNull(atStrengthLo, r.StrengthLo)
	fNaNNull(atStrengthHi, r.StrengthHi)
	for k, p := range r.Graded {
		if p.Offset < math.MinInt32 || p.Offset > math.MaxInt32 || min(p.Episodes, p.TargetFirst, p.ExitFirst) < 0 ||
			max(p.Episodes, p.TargetFirst, p.ExitFirst) > math.MaxInt32 {
			c.fail(atGraded, "element %d: %+v out of range", k, p)
		}
	}
	t.cols[atGraded].(*listBuffer[GradedPoint]).add(r.Graded, r.Graded == nil)
	t.appendPoint(&c, atPoint, r.Point)
	return t.end(&c)
}

func (t *tableWriter) appendStep(r *StepRow) error {
	c := rowCheck{t: t}
	c.dict(stRunID, t.runID)
	vecAt[string](t, stAgentID).add(r.AgentID)
	c.dict(stSplit, r.Split)
	vecAt[int32](t, stEpisode).add(c.i32(stEpisode, r.Episode))
	vecAt[int32](t, stT).add(c.i32(stT, r.T))
	vecAt[int16](t, stX).add(c.i16(stX, r.X))
	vecAt[int16](t, stY).add(c.i16(stY, r.Y))
	c.dict(stAction, r.Action)
	c.dict(stObject, r.Object)
	t.appendPoint(&c, stPoint, r.Point)
	return t.end(&c)
}
