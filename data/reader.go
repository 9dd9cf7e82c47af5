package data

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ReadOptions tune a Reader. A nil *ReadOptions is the zero value.
type ReadOptions struct {
	// Allocator for Arrow buffers; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
	// MaxBuffer bounds the size in bytes of any one buffer the reader
	// allocates, so that a corrupt length in a compressed file is an error
	// rather than an out-of-memory crash; 0 means 1 GiB.
	MaxBuffer int
	// Context, if not nil, stops reading when it is done: checked at each
	// record batch, it ends Next (Err is then the context's error) and an
	// export.
	Context context.Context
}

// TableMeta is the provenance a table file carries in its schema metadata.
type TableMeta struct {
	Table         string
	SchemaVersion int
	RunID         string
	RootSeed      uint64
	Config        string
	Versions      map[string]string
	// Params are the file's sweep parameter columns (mesa.params), with
	// Numeric read from each column's type; nil outside sweeps.
	Params []Param
}

// A Reader streams the rows of one table file, batch by batch, in the style
// of bufio.Scanner:
//
//	r, err := data.OpenEpisodes(path, nil)
//	...
//	defer r.Close()
//	for r.Next() {
//		row := r.Row()
//		...
//	}
//	if err := r.Err(); err != nil { ... }
//
// Readers verify the file's schema version and the name and type of every
// column of the contract; columns they do not know are ignored. Errors name
// the file and are one line; a corrupt file never makes a reader panic.
type Reader[R any] struct {
	tableFile
	bind func(rec arrow.RecordBatch, cols []int) (func(i int, r *R), error)

	batch  int
	rec    arrow.RecordBatch
	decode func(i int, r *R)
	i, n   int
	row    R
	err    error
}

// A tableFile is an open, checked table file.
type tableFile struct {
	path   string
	file   *os.File
	fr     *ipc.FileReader
	meta   TableMeta
	schema *arrow.Schema
	cols   []int           // file column of each contract column
	ctx    context.Context // ReadOptions.Context, or nil
}

// OpenEpisodes opens an episodes table file.
func OpenEpisodes(path string, opts *ReadOptions) (*Reader[EpisodeRow], error) {
	return open(path, TableEpisodes, opts, bindEpisodes)
}

// OpenTraining opens a training table file.
func OpenTraining(path string, opts *ReadOptions) (*Reader[TrainingRow], error) {
	return open(path, TableTraining, opts, bindTraining)
}

// OpenAgents opens an agents table file.
func OpenAgents(path string, opts *ReadOptions) (*Reader[AgentRow], error) {
	return open(path, TableAgents, opts, bindAgents)
}

// OpenAttribution opens an attribution table file.
func OpenAttribution(path string, opts *ReadOptions) (*Reader[AttributionRow], error) {
	return open(path, TableAttribution, opts, bindAttribution)
}

// OpenSteps opens a steps table file.
func OpenSteps(path string, opts *ReadOptions) (*Reader[StepRow], error) {
	return open(path, TableSteps, opts, bindSteps)
}

// errorf returns a one-line error naming the file.
func errorf(path, format string, args ...any) error {
	return fmt.Errorf("data: %s: %s", path, oneLine(fmt.Sprintf(format, args...)))
}

// recovered turns a panic from arrow-go into an error. arrow-go trusts the
// flatbuffer metadata and buffer lengths of the files it reads, and several
// of its decoding paths index slices with values taken from the file, so a
// corrupt or hostile file can make it panic; readers of user-supplied
// files must return an error instead.
func recovered(path string, p any, err *error) {
	if p == nil {
		return
	}
	*err = errorf(path, "corrupt file: %v", p)
}

func open[R any](path, table string, opts *ReadOptions, bind func(arrow.RecordBatch, []int) (func(int, *R), error)) (*Reader[R], error) {
	tf, err := openTable(path, table, opts)
	if err != nil {
		return nil, err
	}
	return &Reader[R]{tableFile: *tf, bind: bind}, nil
}

// openTable opens path and checks that it holds table in a version this
// package reads.
func openTable(path, table string, opts *ReadOptions) (*tableFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return openTableFile(f, path, table, opts)
}

// openTableFile checks that the open file f (named path) holds table in a
// version this package reads, and takes f over.
func openTableFile(f *os.File, path, table string, opts *ReadOptions) (_ *tableFile, err error) {
	var o ReadOptions
	if opts != nil {
		o = *opts
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	if o.MaxBuffer <= 0 {
		o.MaxBuffer = 1 << 30
	}
	t := &tableFile{path: path, file: f, ctx: o.Context}
	defer func() {
		recovered(path, recover(), &err)
		if err != nil {
			t.close()
		}
	}()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if st.Size() == 0 {
		return nil, errorf(path, "empty file, not an Arrow IPC file")
	}
	if err := checkFooter(f, st.Size()); err != nil {
		return nil, errorf(path, "%v", err)
	}
	t.fr, err = ipc.NewFileReader(f, ipc.WithAllocator(limitAllocator{o.Allocator, o.MaxBuffer}))
	if err != nil {
		return nil, errorf(path, "not an Arrow IPC file, or truncated: %v", err)
	}
	t.schema = t.fr.Schema()
	if t.meta, err = tableMeta(t.schema); err != nil {
		return nil, errorf(path, "%v", err)
	}
	if t.meta.Table != table {
		return nil, errorf(path, "holds the %q table, not %s", t.meta.Table, table)
	}
	if t.cols, err = checkSchema(table, t.schema); err != nil {
		return nil, errorf(path, "%s table of schema version %d: %v", table, t.meta.SchemaVersion, err)
	}
	if t.meta.Params, err = schemaParams(t.schema); err != nil {
		return nil, errorf(path, "%v", err)
	}
	return t, nil
}

func tableMeta(s *arrow.Schema) (TableMeta, error) {
	md := s.Metadata()
	get := func(k string) (string, bool) {
		i := md.FindKey(k)
		if i < 0 {
			return "", false
		}
		return md.Values()[i], true
	}
	var m TableMeta
	v, ok := get(MetaSchemaVersion)
	if !ok {
		return m, fmt.Errorf("not a mesa table: no %s in the schema metadata", MetaSchemaVersion)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return m, fmt.Errorf("bad %s %q", MetaSchemaVersion, v)
	}
	if n < oldestReadable {
		return m, fmt.Errorf("schema version %d is older than this reader reads (%d)", n, oldestReadable)
	}
	m.SchemaVersion = n
	m.Table, _ = get(MetaTable)
	m.RunID, _ = get(MetaRunID)
	m.Config, _ = get(MetaConfig)
	if v, ok := get(MetaRootSeed); ok {
		if m.RootSeed, err = strconv.ParseUint(v, 10, 64); err != nil {
			return m, fmt.Errorf("bad %s %q", MetaRootSeed, v)
		}
	}
	if v, ok := get(MetaVersions); ok && v != "" {
		if err := json.Unmarshal([]byte(v), &m.Versions); err != nil {
			return m, fmt.Errorf("bad %s: %v", MetaVersions, err)
		}
	}
	return m, nil
}

// schemaParams returns the sweep parameters whose columns the schema's
// mesa.params lists, checking that each column is there with a parameter's
// type: float64 (numeric) or a dictionary of utf8.
func schemaParams(s *arrow.Schema) ([]Param, error) {
	md := s.Metadata()
	i := md.FindKey(MetaParams)
	if i < 0 {
		return nil, nil
	}
	var names []string
	if err := json.Unmarshal([]byte(md.Values()[i]), &names); err != nil {
		return nil, fmt.Errorf("bad %s: %v", MetaParams, err)
	}
	var params []Param
	for _, name := range names {
		path, ok := strings.CutPrefix(name, ParamColumnPrefix)
		found := s.FieldIndices(name)
		if !ok || len(found) != 1 {
			return nil, fmt.Errorf("%s lists column %q, which the file does not have once (or is not a param column)", MetaParams, name)
		}
		switch typ := s.Field(found[0]).Type; {
		case arrow.TypeEqual(typ, f64):
			params = append(params, Param{Path: path, Numeric: true})
		case typ.ID() == arrow.DICTIONARY && arrow.TypeEqual(typ.(*arrow.DictionaryType).ValueType, str):
			params = append(params, Param{Path: path})
		default:
			return nil, fmt.Errorf("param column %q has type %s, want double or dictionary of utf8", name, typ)
		}
	}
	return params, nil
}

func (t *tableFile) close() error {
	if t.fr != nil {
		t.fr.Close()
		t.fr = nil
	}
	if t.file == nil {
		return nil
	}
	err := t.file.Close()
	t.file = nil
	return err
}

// canceled returns the error of the reading's context if it is done.
func (t *tableFile) canceled() error {
	if t.ctx == nil {
		return nil
	}
	return t.ctx.Err()
}

// Path returns the file the reader reads.
func (r *Reader[R]) Path() string { return r.path }

// Meta returns the provenance in the file's schema metadata.
func (r *Reader[R]) Meta() TableMeta { return r.meta }

// Schema returns the file's schema, metadata included.
func (r *Reader[R]) Schema() *arrow.Schema { return r.schema }

// Next advances to the next row. It returns false at the end of the file or
// on an error, which Err then reports.
func (r *Reader[R]) Next() (ok bool) {
	if r.err != nil || r.fr == nil {
		return false
	}
	defer func() {
		if p := recover(); p != nil {
			recovered(r.path, p, &r.err)
			ok = false
		}
	}()
	for r.i >= r.n {
		if r.batch >= r.fr.NumRecords() {
			return false
		}
		if r.err = r.canceled(); r.err != nil {
			return false
		}
		if r.rec != nil {
			r.rec.Release()
			r.rec = nil
		}
		rec, err := r.fr.RecordBatchAt(r.batch)
		if err != nil {
			r.err = errorf(r.path, "batch %d: %v", r.batch, err)
			return false
		}
		r.rec = rec
		if r.decode, err = r.bind(rec, r.cols); err != nil {
			r.err = errorf(r.path, "batch %d: %v", r.batch, err)
			return false
		}
		r.batch++
		r.i, r.n = 0, int(rec.NumRows())
	}
	r.decode(r.i, &r.row)
	r.i++
	return true
}

// Row returns the current row. Its slices are allocated for it and belong
// to the caller.
func (r *Reader[R]) Row() R { return r.row }

// Position returns where the current row is: its record batch and its
// index in the batch. Seek returns to it.
func (r *Reader[R]) Position() (batch, row int) { return r.batch - 1, r.i - 1 }

// Seek positions the reader so that the next call of Next reads row row of
// record batch batch, as Position gave it, without reading the rows
// before it.
func (r *Reader[R]) Seek(batch, row int) error {
	if r.fr == nil {
		return errorf(r.path, "seek: reader closed")
	}
	if batch < 0 || batch >= r.fr.NumRecords() || row < 0 {
		return errorf(r.path, "seek: no row %d of batch %d (%d batches)", row, batch, r.fr.NumRecords())
	}
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	// Next reads batch `batch` and then skips to row.
	r.batch, r.i, r.n, r.err = batch, 0, 0, nil
	if !r.Next() {
		if r.err == nil {
			r.err = errorf(r.path, "seek: batch %d is empty", batch)
		}
		return r.err
	}
	if row >= r.n {
		return errorf(r.path, "seek: no row %d of batch %d (%d rows)", row, batch, r.n)
	}
	r.i = row
	return nil
}

// Err returns the first error met by Next.
func (r *Reader[R]) Err() error { return r.err }

// ReadAll returns the remaining rows.
func (r *Reader[R]) ReadAll() ([]R, error) {
	var rows []R
	for r.Next() {
		rows = append(rows, r.row)
	}
	return rows, r.err
}

// Close releases the reader's buffers and closes the file.
func (r *Reader[R]) Close() error {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	return r.close()
}

// limitAllocator refuses single allocations above a limit by panicking
// with bufferTooLarge, which the reader recovers into an error: arrow-go
// allocates the uncompressed size a compressed buffer declares, so one
// flipped byte could otherwise ask for terabytes and kill the process.
type limitAllocator struct {
	memory.Allocator
	limit int
}

type bufferTooLarge struct{ n, limit int }

func (b bufferTooLarge) Error() string {
	return fmt.Sprintf("a buffer of %d bytes exceeds the reader's limit of %d (ReadOptions.MaxBuffer)", b.n, b.limit)
}

func (a limitAllocator) Allocate(n int) []byte {
	if n < 0 || n > a.limit {
		panic(bufferTooLarge{n, a.limit})
	}
	return a.Allocator.Allocate(n)
}

func (a limitAllocator) Reallocate(n int, b []byte) []byte {
	if n < 0 || n > a.limit {
		panic(bufferTooLarge{n, a.limit})
	}
	return a.Allocator.Reallocate(n, b)
}

// Column views over one record batch. Each is checked when made, so that
// decoding a row cannot index outside the batch's buffers.

type dictView struct {
	i8   *array.Int8
	i16  *array.Int16
	vals []string
}

func newDictView(rec arrow.RecordBatch, col int) (dictView, error) {
	name := rec.ColumnName(col)
	d, ok := rec.Column(col).(*array.Dictionary)
	if !ok {
		return dictView{}, fmt.Errorf("column %q is not dictionary-encoded", name)
	}
	dict, ok := d.Dictionary().(*array.String)
	if !ok {
		return dictView{}, fmt.Errorf("column %q has no string dictionary", name)
	}
	if err := dict.ValidateFull(); err != nil {
		return dictView{}, fmt.Errorf("column %q dictionary: %v", name, err)
	}
	v := dictView{vals: make([]string, dict.Len())}
	for i := range v.vals {
		v.vals[i] = strings.Clone(dict.Value(i))
	}
	n := len(v.vals)
	switch idx := d.Indices().(type) {
	case *array.Int8:
		v.i8 = idx
		for i, x := range idx.Int8Values() {
			if idx.IsValid(i) && (x < 0 || int(x) >= n) {
				return v, fmt.Errorf("column %q row %d: dictionary index %d out of range [0, %d)", name, i, x, n)
			}
		}
	case *array.Int16:
		v.i16 = idx
		for i, x := range idx.Int16Values() {
			if idx.IsValid(i) && (x < 0 || int(x) >= n) {
				return v, fmt.Errorf("column %q row %d: dictionary index %d out of range [0, %d)", name, i, x, n)
			}
		}
	default:
		return v, fmt.Errorf("column %q has index type %s", name, d.Indices().DataType())
	}
	return v, nil
}

// get returns the value of row i, or "" if it is null.
func (v *dictView) get(i int) string {
	if v.i8 != nil {
		if v.i8.IsNull(i) {
			return ""
		}
		return v.vals[v.i8.Value(i)]
	}
	if v.i16.IsNull(i) {
		return ""
	}
	return v.vals[v.i16.Value(i)]
}

// strView reads a string column, reusing the previous row's string when
// equal: ids repeat over long runs of rows, and the Go strings must be
// copied out of Arrow memory anyway.
type strView struct {
	a    *array.String
	last string
}

func newStrView(rec arrow.RecordBatch, col int) (strView, error) {
	a := rec.Column(col).(*array.String)
	if err := a.ValidateFull(); err != nil {
		return strView{}, fmt.Errorf("column %q: %v", rec.ColumnName(col), err)
	}
	return strView{a: a}, nil
}

func (v *strView) get(i int) string {
	if v.a.IsNull(i) {
		return ""
	}
	if s := v.a.Value(i); s != v.last {
		v.last = strings.Clone(s)
	}
	return v.last
}

func validList(rec arrow.RecordBatch, col int) (*array.List, error) {
	a := rec.Column(col).(*array.List)
	if err := a.ValidateFull(); err != nil {
		return nil, fmt.Errorf("column %q: %v", rec.ColumnName(col), err)
	}
	return a, nil
}

// batchCheck collects the first error of a table's views.
type batchCheck struct{ err error }

func (c *batchCheck) dict(rec arrow.RecordBatch, col int) dictView {
	v, err := newDictView(rec, col)
	if c.err == nil {
		c.err = err
	}
	return v
}

func (c *batchCheck) str(rec arrow.RecordBatch, col int) strView {
	v, err := newStrView(rec, col)
	if c.err == nil {
		c.err = err
	}
	return v
}

func (c *batchCheck) list(rec arrow.RecordBatch, col int) *array.List {
	v, err := validList(rec, col)
	if c.err == nil {
		c.err = err
	}
	return v
}

func colAs[T arrow.Array](rec arrow.RecordBatch, col int) T { return rec.Column(col).(T) }

// An optionalInt32 reads an int32 column that older files lack: the point
// column (schema version 3; missing, point 0) and seed_index (schema
// version 6; missing, -1).
type optionalInt32 struct {
	a       *array.Int32
	missing int
}

func newOptionalInt32(rec arrow.RecordBatch, col, missing int) optionalInt32 {
	if col < 0 {
		return optionalInt32{missing: missing}
	}
	return optionalInt32{a: colAs[*array.Int32](rec, col)}
}

func (v optionalInt32) get(i int) int {
	if v.a == nil {
		return v.missing
	}
	return int(v.a.Value(i))
}

// newPointView reads the point column.
func newPointView(rec arrow.RecordBatch, col int) optionalInt32 { return newOptionalInt32(rec, col, 0) }

// newSeedIndexView reads the seed_index column.
func newSeedIndexView(rec arrow.RecordBatch, col int) optionalInt32 {
	return newOptionalInt32(rec, col, -1)
}

func int32Or0(a *array.Int32, i int) int {
	if a.IsNull(i) {
		return 0
	}
	return int(a.Value(i))
}

func bindEpisodes(rec arrow.RecordBatch, c []int) (func(int, *EpisodeRow), error) {
	var chk batchCheck
	runID, opt, fam := chk.dict(rec, c[epRunID]), chk.dict(rec, c[epOptimizer]), chk.dict(rec, c[epFamily])
	agentID := chk.str(rec, c[epAgentID])
	split, first := chk.dict(rec, c[epSplit]), chk.dict(rec, c[epFirstTarget])
	outcome, proxy := chk.dict(rec, c[epOutcome]), chk.dict(rec, c[epProxy])
	var role dictView // schema version 6
	if c[epPursuedRole] >= 0 {
		role = chk.dict(rec, c[epPursuedRole])
	}
	dist, colour := chk.dict(rec, c[epDistribution]), chk.dict(rec, c[epExitColour])
	probe, probeFirst := chk.dict(rec, c[epProbe]), chk.dict(rec, c[epProbeFirst])
	targets := chk.list(rec, c[epTargets])
	if chk.err != nil {
		return nil, chk.err
	}
	tstruct := targets.ListValues().(*array.Struct)
	tname, ok1 := tstruct.Field(0).(*array.String)
	tstep, ok2 := tstruct.Field(1).(*array.Int32)
	tpursued, ok3 := tstruct.Field(2).(*array.Boolean)
	if !ok1 || !ok2 || !ok3 {
		return nil, errors.New("column \"targets\": bad struct fields")
	}
	if err := tname.ValidateFull(); err != nil {
		return nil, fmt.Errorf("column \"targets\": %v", err)
	}
	agentSeed, levelSeed := colAs[*array.Uint64](rec, c[epAgentSeed]), colAs[*array.Uint64](rec, c[epLevelSeed])
	i16 := func(col int) *array.Int16 { return colAs[*array.Int16](rec, c[col]) }
	i32 := func(col int) *array.Int32 { return colAs[*array.Int32](rec, c[col]) }
	b := func(col int) *array.Boolean { return colAs[*array.Boolean](rec, c[col]) }
	width, height := i16(epWidth), i16(epHeight)
	steps, eaten, episode := i32(epSteps), i32(epApplesEaten), i32(epEpisode)
	firstStep, limit, apples, path, visited := i32(epFirstStep), i32(epStepLimit), i32(epApples), i32(epShortestPath), i32(epCellsVisited)
	exitX, exitY, startX, startY, endX, endY := i16(epExitX), i16(epExitY), i16(epStartX), i16(epStartY), i16(epEndX), i16(epEndY)
	ret := colAs[*array.Float64](rec, c[epBaseReturn])
	reached, greedy, randomized, cue := b(epReachedExit), b(epGreedy), b(epRandomized), b(epCue)
	pt := newPointView(rec, c[epPoint])
	si := newSeedIndexView(rec, c[epSeedIndex])
	return func(i int, r *EpisodeRow) {
		*r = EpisodeRow{
			RunID: runID.get(i), Optimizer: opt.get(i), Family: fam.get(i), AgentID: agentID.get(i),
			AgentSeed: agentSeed.Value(i), SeedIndex: si.get(i), Split: split.get(i), LevelSeed: levelSeed.Value(i),
			Width: int(width.Value(i)), Height: int(height.Value(i)), Steps: int(steps.Value(i)),
			BaseReturn: ret.Value(i), ReachedExit: reached.Value(i), FirstTarget: first.get(i),
			Outcome: outcome.get(i), Proxy: proxy.get(i), ApplesEaten: int(eaten.Value(i)),
			Episode: int(episode.Value(i)), Distribution: dist.get(i), Greedy: greedy.Value(i),
			FirstStep: int32Or0(firstStep, i), StepLimit: int(limit.Value(i)), ExitColour: colour.get(i),
			ExitX: int(exitX.Value(i)), ExitY: int(exitY.Value(i)), StartX: int(startX.Value(i)), StartY: int(startY.Value(i)),
			EndX: int(endX.Value(i)), EndY: int(endY.Value(i)), Apples: int(apples.Value(i)),
			Randomized: randomized.Value(i), Cue: cue.Value(i), ShortestPath: int32Or0(path, i),
			CellsVisited: int(visited.Value(i)), Probe: probe.get(i), ProbeFirst: probeFirst.get(i),
			Point: pt.get(i),
		}
		if role.vals != nil {
			r.PursuedRole = role.get(i)
		}
		if targets.IsValid(i) {
			lo, hi := targets.ValueOffsets(i)
			r.Targets = make([]TargetVisit, 0, hi-lo)
			for j := int(lo); j < int(hi); j++ {
				r.Targets = append(r.Targets, TargetVisit{Target: strings.Clone(tname.Value(j)),
					Step: int(tstep.Value(j)), Pursued: tpursued.Value(j)})
			}
		}
	}, nil
}

func bindTraining(rec arrow.RecordBatch, c []int) (func(int, *TrainingRow), error) {
	var chk batchCheck
	runID, opt, fam, dist := chk.dict(rec, c[trRunID]), chk.dict(rec, c[trOptimizer]), chk.dict(rec, c[trFamily]), chk.dict(rec, c[trDistribution])
	if chk.err != nil {
		return nil, chk.err
	}
	f := func(col int) *array.Float64 { return colAs[*array.Float64](rec, c[col]) }
	seed := colAs[*array.Uint64](rec, c[trAgentSeed])
	pop, it := colAs[*array.Int32](rec, c[trPopulation]), colAs[*array.Int32](rec, c[trIteration])
	steps, eps := colAs[*array.Int64](rec, c[trEnvSteps]), colAs[*array.Int64](rec, c[trEpisodes])
	lo, mean, hi, std, best := f(trFitnessMin), f(trFitnessMean), f(trFitnessMax), f(trFitnessStd), f(trBest)
	grad, ent, step, elapsed, pnorm := f(trGradNorm), f(trEntropy), f(trStepSize), f(trElapsedMS), f(trParamNorm)
	pt := newPointView(rec, c[trPoint])
	si := newSeedIndexView(rec, c[trSeedIndex])
	var monS, monR *array.Float64
	if c[trMonitorSuccess] >= 0 && c[trMonitorReturn] >= 0 {
		monS, monR = f(trMonitorSuccess), f(trMonitorReturn)
	}
	return func(i int, r *TrainingRow) {
		*r = TrainingRow{
			RunID: runID.get(i), Optimizer: opt.get(i), Family: fam.get(i), AgentSeed: seed.Value(i), SeedIndex: si.get(i),
			Population: int(pop.Value(i)), Iteration: int(it.Value(i)),
			EnvSteps: int(steps.Value(i)), Episodes: int(eps.Value(i)),
			FitnessMin: lo.Value(i), FitnessMean: mean.Value(i), FitnessMax: hi.Value(i), FitnessStd: std.Value(i),
			Best: best.Value(i), GradNorm: grad.Value(i), Entropy: ent.Value(i), StepSize: step.Value(i),
			Distribution: dist.get(i), ParamNorm: pnorm.Value(i), Point: pt.get(i),
		}
		if elapsed.IsValid(i) {
			r.Elapsed = time.Duration(math.Round(elapsed.Value(i) * 1e6))
		}
		if monS != nil && monS.IsValid(i) && monR.IsValid(i) {
			r.Monitored, r.MonitorSuccess, r.MonitorReturn = true, monS.Value(i), monR.Value(i)
		}
	}, nil
}

func bindAgents(rec arrow.RecordBatch, c []int) (func(int, *AgentRow), error) {
	var chk batchCheck
	runID, opt, fam := chk.dict(rec, c[agRunID]), chk.dict(rec, c[agOptimizer]), chk.dict(rec, c[agFamily])
	role, status, dist := chk.dict(rec, c[agRole]), chk.dict(rec, c[agStatus]), chk.dict(rec, c[agDistribution])
	agentID := chk.str(rec, c[agAgentID])
	params, names, obj := chk.list(rec, c[agParams]), chk.list(rec, c[agParamNames]), chk.list(rec, c[agObjective])
	if chk.err != nil {
		return nil, chk.err
	}
	pvals := params.ListValues().(*array.Float64)
	nvals := names.ListValues().(*array.String)
	ostruct := obj.ListValues().(*array.Struct)
	ofeat, ok1 := ostruct.Field(0).(*array.String)
	oweight, ok2 := ostruct.Field(1).(*array.Float64)
	if !ok1 || !ok2 {
		return nil, errors.New("column \"mesa_objective\": bad struct fields")
	}
	if err := ofeat.ValidateFull(); err != nil {
		return nil, fmt.Errorf("column \"mesa_objective\": %v", err)
	}
	if err := nvals.ValidateFull(); err != nil {
		return nil, fmt.Errorf("column \"param_names\": %v", err)
	}
	seed := colAs[*array.Uint64](rec, c[agAgentSeed])
	index, iters := colAs[*array.Int32](rec, c[agIndex]), colAs[*array.Int32](rec, c[agIterations])
	fitness := colAs[*array.Float64](rec, c[agFitness])
	steps, eps := colAs[*array.Int64](rec, c[agEnvSteps]), colAs[*array.Int64](rec, c[agEpisodes])
	pt := newPointView(rec, c[agPoint])
	si := newSeedIndexView(rec, c[agSeedIndex])
	return func(i int, r *AgentRow) {
		*r = AgentRow{
			RunID: runID.get(i), Optimizer: opt.get(i), Family: fam.get(i), AgentID: agentID.get(i),
			AgentSeed: seed.Value(i), SeedIndex: si.get(i), Role: role.get(i), Index: int(index.Value(i)), Fitness: fitness.Value(i),
			Status: status.get(i), EnvSteps: int(steps.Value(i)), Episodes: int(eps.Value(i)),
			Iterations: int(iters.Value(i)), Distribution: dist.get(i), Point: pt.get(i),
		}
		if params.IsValid(i) {
			lo, hi := params.ValueOffsets(i)
			if hi > lo {
				r.Params = append([]float64(nil), pvals.Float64Values()[lo:hi]...)
			}
		}
		if names.IsValid(i) {
			lo, hi := names.ValueOffsets(i)
			r.ParamNames = make([]string, 0, hi-lo)
			for j := lo; j < hi; j++ {
				r.ParamNames = append(r.ParamNames, strings.Clone(nvals.Value(int(j))))
			}
		}
		if obj.IsValid(i) {
			lo, hi := obj.ValueOffsets(i)
			r.Objective = make([]Weight, 0, hi-lo)
			for j := int(lo); j < int(hi); j++ {
				r.Objective = append(r.Objective, Weight{Feature: strings.Clone(ofeat.Value(j)), Weight: oweight.Value(j)})
			}
		}
	}, nil
}

func bindAttribution(rec arrow.RecordBatch, c []int) (func(int, *AttributionRow), error) {
	var chk batchCheck
	runID, opt, fam := chk.dict(rec, c[atRunID]), chk.dict(rec, c[atOptimizer]), chk.dict(rec, c[atFamily])
	cand, role, control := chk.dict(rec, c[atCandidate]), chk.dict(rec, c[atRole]), chk.dict(rec, c[atControl])
	agentID := chk.str(rec, c[atAgentID])
	if chk.err != nil {
		return nil, chk.err
	}
	seed := colAs[*array.Uint64](rec, c[atAgentSeed])
	i32 := func(col int) *array.Int32 { return colAs[*array.Int32](rec, c[col]) }
	f := func(col int) *array.Float64 { return colAs[*array.Float64](rec, c[col]) }
	b := func(col int) *array.Boolean { return colAs[*array.Boolean](rec, c[col]) }
	probes, exitFirst, targetFirst, controlFirst := i32(atProbes), i32(atExitFirst), i32(atTargetFirst), i32(atControlFirst)
	tRate, tLo, tHi := f(atTargetRate), f(atTargetLo), f(atTargetHi)
	cRate, cLo, cHi := f(atControlRate), f(atControlLo), f(atControlHi)
	pValue, beta, logLik, logEv, post, readout := f(atPValue), f(atBeta), f(atLogLik), f(atLogEvidence), f(atPosterior), f(atReadout)
	pursued, attributed := b(atPursued), b(atAttributed)
	steps := colAs[*array.Int64](rec, c[atProbeSteps])
	pt := newPointView(rec, c[atPoint])
	si := newSeedIndexView(rec, c[atSeedIndex])
	// Schema version 5 columns, absent from older files.
	var verdict, censored dictView
	var stability, share, gain, kStar, kLo, kHi, strength, strengthLo, strengthHi *array.Float64
	var graded *array.List
	var gOffset, gEpisodes, gTarget, gExit *array.Int32
	if c[atVerdict] >= 0 {
		verdict, censored = chk.dict(rec, c[atVerdict]), chk.dict(rec, c[atKCensored])
		graded = chk.list(rec, c[atGraded])
		if chk.err != nil {
			return nil, chk.err
		}
		gs := graded.ListValues().(*array.Struct)
		var ok [4]bool
		gOffset, ok[0] = gs.Field(0).(*array.Int32)
		gEpisodes, ok[1] = gs.Field(1).(*array.Int32)
		gTarget, ok[2] = gs.Field(2).(*array.Int32)
		gExit, ok[3] = gs.Field(3).(*array.Int32)
		if ok != [4]bool{true, true, true, true} {
			return nil, errors.New("column \"graded\": bad struct fields")
		}
		stability, share, gain = f(atStability), f(atShare), f(atGain)
		kStar, kLo, kHi = f(atKStar), f(atKLo), f(atKHi)
		strength, strengthLo, strengthHi = f(atStrength), f(atStrengthLo), f(atStrengthHi)
	}
	nan := math.NaN()
	return func(i int, r *AttributionRow) {
		*r = AttributionRow{
			RunID: runID.get(i), Optimizer: opt.get(i), Family: fam.get(i), AgentID: agentID.get(i),
			AgentSeed: seed.Value(i), SeedIndex: si.get(i), Candidate: cand.get(i), Role: role.get(i), Control: control.get(i),
			Probes: int(probes.Value(i)), ExitFirst: int(exitFirst.Value(i)),
			TargetFirst: int(targetFirst.Value(i)), ControlFirst: int(controlFirst.Value(i)),
			TargetRate: tRate.Value(i), TargetLo: tLo.Value(i), TargetHi: tHi.Value(i),
			ControlRate: cRate.Value(i), ControlLo: cLo.Value(i), ControlHi: cHi.Value(i),
			PValue: float64OrNaN(pValue, i), Pursued: pursued.Value(i),
			Beta: beta.Value(i), LogLik: logLik.Value(i), LogEvidence: logEv.Value(i), Posterior: post.Value(i),
			Attributed: attributed.Value(i), Readout: float64OrNaN(readout, i), ProbeSteps: int(steps.Value(i)),
			Point:     pt.get(i),
			Stability: nan, Share: nan, Gain: nan, KStar: nan, KLo: nan, KHi: nan,
			Strength: nan, StrengthLo: nan, StrengthHi: nan,
		}
		if graded == nil {
			return
		}
		r.Verdict, r.KCensored = verdict.get(i), censored.get(i)
		r.Stability, r.Share, r.Gain = float64OrNaN(stability, i), float64OrNaN(share, i), float64OrNaN(gain, i)
		r.KStar, r.KLo, r.KHi = float64OrNaN(kStar, i), float64OrNaN(kLo, i), float64OrNaN(kHi, i)
		r.Strength, r.StrengthLo, r.StrengthHi = float64OrNaN(strength, i), float64OrNaN(strengthLo, i), float64OrNaN(strengthHi, i)
		if graded.IsValid(i) {
			lo, hi := graded.ValueOffsets(i)
			r.Graded = make([]GradedPoint, 0, hi-lo)
			for j := int(lo); j < int(hi); j++ {
				r.Graded = append(r.Graded, GradedPoint{Offset: int(gOffset.Value(j)), Episodes: int(gEpisodes.Value(j)),
					TargetFirst: int(gTarget.Value(j)), ExitFirst: int(gExit.Value(j))})
			}
		}
	}, nil
}

func float64OrNaN(a *array.Float64, i int) float64 {
	if a.IsNull(i) {
		return math.NaN()
	}
	return a.Value(i)
}

func bindSteps(rec arrow.RecordBatch, c []int) (func(int, *StepRow), error) {
	var chk batchCheck
	runID, split, action, object := chk.dict(rec, c[stRunID]), chk.dict(rec, c[stSplit]), chk.dict(rec, c[stAction]), chk.dict(rec, c[stObject])
	agentID := chk.str(rec, c[stAgentID])
	if chk.err != nil {
		return nil, chk.err
	}
	episode, t := colAs[*array.Int32](rec, c[stEpisode]), colAs[*array.Int32](rec, c[stT])
	x, y := colAs[*array.Int16](rec, c[stX]), colAs[*array.Int16](rec, c[stY])
	pt := newPointView(rec, c[stPoint])
	return func(i int, r *StepRow) {
		*r = StepRow{
			RunID: runID.get(i), AgentID: agentID.get(i), Split: split.get(i), Episode: int(episode.Value(i)),
			T: int(t.Value(i)), X: int(x.Value(i)), Y: int(y.Value(i)), Action: action.get(i), Object: object.get(i),
			Point: pt.get(i),
		}
	}, nil
}
