package data_test

import (
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/mesa-alignment/mesa/data"
)

// TestSweepPoints writes rows at several points and reads them back: each
// row's point, the file's params, and the manifest's points, which give
// each point's values.
func TestSweepPoints(t *testing.T) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{BatchRows: 3}, 8)
	m, err := data.VerifyRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	info := testInfo()
	if !reflect.DeepEqual(m.Params, info.Params) || !reflect.DeepEqual(m.Points, info.Points) {
		t.Fatalf("manifest params %+v, points %+v", m.Params, m.Points)
	}
	if p, ok := m.Point(2); !ok || p.Values["train.exit.colours"] != "green,blue" {
		t.Errorf("point 2: %+v, %v", p, ok)
	}
	if _, ok := m.Point(7); ok {
		t.Error("manifest has a point 7")
	}
	r, err := data.OpenAttribution(filepath.Join(dir, "attribution.arrow"), &data.ReadOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Meta().Params; !reflect.DeepEqual(got, info.Params) {
		t.Errorf("file params %+v", got)
	}
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var points []int
	for _, row := range rows {
		points = append(points, row.Point)
	}
	if want := []int{0, 0, 0, 0, 2, 2, 2, 2}; !slices.Equal(points, want) {
		t.Errorf("points %v, want %v", points, want)
	}
}

// TestNoSweep: a run without params has a point column of zeros, no param
// columns, an empty mesa.params and no points in its manifest; it may
// still choose among Points it declares.
func TestNoSweep(t *testing.T) {
	mem := checked(t)
	dir := t.TempDir()
	info := data.RunInfo{RunID: "plain", Points: []data.PointInfo{{Index: 0}, {Index: 5}}}
	w, err := data.Create(dir, info, data.Options{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	rows := trainingRows(4)
	for i, pt := range []int{0, 0, 5, 5} {
		if i == 2 {
			if err := w.SetPoint(5, nil); err != nil {
				t.Fatal(err)
			}
		}
		rows[i].Distribution = ""
		if err := w.AppendTraining(rows[i]); err != nil {
			t.Fatal(err)
		}
		rows[i].Point, rows[i].RunID = pt, "plain"
	}
	if err := w.SetPoint(1, nil); err == nil || err.Error() != "data: set point 1: point 1 is not among RunInfo.Points" {
		t.Errorf("SetPoint(1): %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := data.OpenTraining(filepath.Join(dir, "training.arrow"), &data.ReadOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if s := r.Schema(); s.NumFields() != data.Schema(data.TableTraining).NumFields() ||
		s.Metadata().Values()[s.Metadata().FindKey(data.MetaParams)] != "[]" || r.Meta().Params != nil {
		t.Errorf("schema %v", s)
	}
	got, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	sameRows(t, got, rows)
	// Without Points, a plain run has point 0 and SetPoint has nothing to
	// choose from.
	w, err = data.Create(t.TempDir(), data.RunInfo{RunID: "plain"}, data.Options{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SetPoint(0, nil); err == nil {
		t.Error("SetPoint without points succeeded")
	}
	if err := w.Abort(nil); err != nil {
		t.Fatal(err)
	}
}

func TestSetPointErrors(t *testing.T) {
	mem := checked(t)
	w, err := data.Create(t.TempDir(), testInfo(), data.Options{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort(nil)
	if err := w.AppendEpisodes(episodeRows(1)...); err == nil ||
		err.Error() != "data: episodes: the run has sweep params: call SetPoint before appending rows" {
		t.Errorf("append before SetPoint: %v", err)
	}
	for _, tc := range []struct {
		point  int
		values []string
		want   string
	}{
		{1, []string{"0.25"}, "data: set point 1: 1 values for 2 params"},
		{1, []string{"abc", "green"}, `data: set point 1: param train.randomize: "abc" is not a finite number`},
		{1, []string{"NaN", "green"}, `data: set point 1: param train.randomize: "NaN" is not a finite number`},
		{1, []string{"0.25", ""}, "data: set point 1: param train.exit.colours: empty value"},
		{1, []string{"0.5", "green"}, `data: set point 1: param train.randomize is "0.5" at point 1, but RunInfo.Points gives "0.25"`},
		{1, []string{"0.25", "blue"}, `data: set point 1: param train.exit.colours is "blue" at point 1, but RunInfo.Points gives "green"`},
		{3, []string{"0.25", "green"}, "data: set point 3: point 3 is not among RunInfo.Points"},
		{-1, []string{"0.25", "green"}, "data: set point -1: point -1 is not among RunInfo.Points"},
	} {
		if err := w.SetPoint(tc.point, tc.values); err == nil || err.Error() != tc.want {
			t.Errorf("SetPoint(%d, %q): %v\nwant %s", tc.point, tc.values, err, tc.want)
		}
	}
	// Numeric values compare as numbers: "2.5e-1" is point 1's "0.25".
	if err := w.SetPoint(1, []string{"2.5e-1", "green"}); err != nil {
		t.Fatal(err)
	}
	// A failed SetPoint keeps the current point.
	if err := w.SetPoint(2, []string{"x", "green,blue"}); err == nil {
		t.Fatal("bad SetPoint succeeded")
	}
	row := episodeRows(1)[0]
	row.Point = 2
	if err := w.AppendEpisodes(row); err == nil || !strings.Contains(err.Error(), "point: a row of point 2 appended at point 1 (Writer.SetPoint)") {
		t.Errorf("row of another point: %v", err)
	}
	row.Point = 1
	if err := w.AppendEpisodes(row); err != nil {
		t.Errorf("row of the current point: %v", err)
	}
}

func TestCreateSweepErrors(t *testing.T) {
	num, txt := data.Param{Path: "a.b", Numeric: true}, data.Param{Path: "c"}
	pt := func(i int, kv ...string) data.PointInfo {
		p := data.PointInfo{Index: i, Values: map[string]string{}}
		for k := 0; k+1 < len(kv); k += 2 {
			p.Values[kv[k]] = kv[k+1]
		}
		return p
	}
	for _, tc := range []struct {
		params []data.Param
		points []data.PointInfo
		want   string
	}{
		{[]data.Param{{Path: ""}}, nil, `RunInfo.Params[0]: path "" is empty or has spaces`},
		{[]data.Param{num, {Path: "x y"}}, nil, `RunInfo.Params[1]: path "x y" is empty or has spaces`},
		{[]data.Param{num, num}, nil, `RunInfo.Params[1]: path "a.b" appears twice`},
		{[]data.Param{num}, nil, "RunInfo.Params without RunInfo.Points"},
		{[]data.Param{num}, []data.PointInfo{pt(0, "a.b", "1"), pt(0, "a.b", "2")}, "RunInfo.Points[1] (point 0): index 0 appears twice"},
		{[]data.Param{num}, []data.PointInfo{pt(-2, "a.b", "1")}, "RunInfo.Points[0] (point -2): index out of range"},
		{[]data.Param{num}, []data.PointInfo{pt(math.MaxInt32+1, "a.b", "1")}, "index out of range [0, 2147483647]"},
		{[]data.Param{num, txt}, []data.PointInfo{pt(0, "a.b", "1")}, "RunInfo.Points[0] (point 0): no value for param c"},
		{[]data.Param{num}, []data.PointInfo{pt(0, "a.b", "1", "d", "x")}, `RunInfo.Points[0] (point 0): value for "d", which is not among RunInfo.Params`},
		{[]data.Param{num}, []data.PointInfo{pt(0, "a.b", "one")}, `RunInfo.Points[0] (point 0): param a.b: "one" is not a finite number`},
		{[]data.Param{txt}, []data.PointInfo{pt(3, "c", "")}, "RunInfo.Points[0] (point 3): param c: empty value"},
		{nil, []data.PointInfo{pt(0, "c", "x")}, `value for "c", which is not among RunInfo.Params`},
	} {
		info := data.RunInfo{RunID: "r", Params: tc.params, Points: tc.points}
		_, err := data.Create(t.TempDir(), info, data.Options{})
		if err == nil || !strings.HasPrefix(err.Error(), "data: create: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v %+v: %v, want %q", tc.params, tc.points, err, tc.want)
		}
	}
	// A text param's vocabulary must fit its dictionary.
	var many []data.PointInfo
	for i := range 1 << 15 {
		many = append(many, pt(i, "c", strconv.Itoa(i)))
	}
	if _, err := data.Create(t.TempDir(), data.RunInfo{RunID: "r", Params: []data.Param{txt}, Points: many}, data.Options{}); err == nil ||
		!strings.Contains(err.Error(), "param.c: 32768 names exceed the dictionary's 32767") {
		t.Errorf("too many values: %v", err)
	}
}

// TestReadSchemaVersion2: files of schema version 2 have no point column
// and no params; readers read them, with point 0.
func TestReadSchemaVersion2(t *testing.T) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{BatchRows: 20}, 30)
	path := rewrite(t, filepath.Join(dir, "episodes.arrow"), func(s *arrow.Schema, c []arrow.Array) (*arrow.Schema, []arrow.Array) {
		for _, name := range []string{"param.train.exit.colours", "param.train.randomize", "point"} {
			s, c = dropField(s, c, name)
		}
		md := s.Metadata()
		keys, vals := slices.Clone(md.Keys()), slices.Clone(md.Values())
		i := md.FindKey(data.MetaParams)
		keys, vals = slices.Delete(keys, i, i+1), slices.Delete(vals, i, i+1)
		m := arrow.NewMetadata(keys, vals)
		return withMeta(arrow.NewSchema(s.Fields(), &m), data.MetaSchemaVersion, "2"), c
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
	sameRows(t, rows, withRunID(episodeRows(30), "run-test"))
	if m := r.Meta(); m.SchemaVersion != 2 || m.Params != nil {
		t.Errorf("meta %+v", m)
	}
}

// TestBadParamsMetadata: a file whose mesa.params does not match its
// columns is refused with an error naming the file.
func TestBadParamsMetadata(t *testing.T) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{}, 4)
	src := filepath.Join(dir, "episodes.arrow")
	for _, tc := range []struct {
		name, params, want string
	}{
		{"not json", "param.x", "bad mesa.params"},
		{"missing column", `["param.nope"]`, `mesa.params lists column "param.nope", which the file does not have once`},
		{"not a param", `["steps"]`, `mesa.params lists column "steps", which the file does not have once (or is not a param column)`},
	} {
		path := rewrite(t, src, func(s *arrow.Schema, c []arrow.Array) (*arrow.Schema, []arrow.Array) {
			return withMeta(s, data.MetaParams, tc.params), c
		})
		_, err := readFile(path, mem)
		checkFileError(t, err, path, tc.name)
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// A param column of another type than a param's.
	path := rewrite(t, src, func(s *arrow.Schema, c []arrow.Array) (*arrow.Schema, []arrow.Array) {
		b := array.NewInt32Builder(memory.DefaultAllocator)
		defer b.Release()
		for range c[0].Len() {
			b.Append(1)
		}
		md := s.Metadata()
		s = arrow.NewSchema(append(s.Fields(), arrow.Field{Name: "param.bad", Type: arrow.PrimitiveTypes.Int32}), &md)
		return withMeta(s, data.MetaParams, `["param.train.randomize","param.bad"]`), append(c, b.NewArray())
	})
	_, err := readFile(path, mem)
	checkFileError(t, err, path, "int32 param")
	if want := `param column "param.bad" has type int32, want double or dictionary of utf8`; !strings.Contains(err.Error(), want) {
		t.Errorf("int32 param: %v, want %q", err, want)
	}
}
