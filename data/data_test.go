package data_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/data/datatest"
	"github.com/mesa-alignment/mesa/seeds"
)

// checked returns a checked allocator that fails t if anything allocated
// through it is still live when the test ends.
func checked(t testing.TB) *memory.CheckedAllocator {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// testInfo is the run the tests write: a sweep over a numeric and a text
// parameter, with three points.
func testInfo() data.RunInfo {
	return data.RunInfo{
		RunID: "run-test", RootSeed: 1 << 63, Config: []byte("seed: 9223372036854775808\ntrain: train\n"),
		Versions:      map[string]string{"mesa": "test"},
		Families:      []string{"to-colour:green"},
		Distributions: []string{"custom"},
		Splits:        []string{"holdout"},
		Params:        []data.Param{{Path: "train.randomize", Numeric: true}, {Path: "train.exit.colours"}},
		Points: []data.PointInfo{
			{Index: 0, Values: map[string]string{"train.randomize": "0", "train.exit.colours": "green"}},
			{Index: 1, Values: map[string]string{"train.randomize": "0.25", "train.exit.colours": "green"}},
			{Index: 2, Values: map[string]string{"train.randomize": "0.5", "train.exit.colours": "green,blue"}},
		},
	}
}

// pointValues returns the values of testInfo's point index, in Params
// order.
func pointValues(index int) []string {
	info := testInfo()
	var v []string
	for _, p := range info.Params {
		v = append(v, info.Points[index].Values[p.Path])
	}
	return v
}

// create starts a run of testInfo() in dir, at its point 0.
func create(t testing.TB, dir string, opts data.Options) *data.Writer {
	t.Helper()
	w, err := data.Create(dir, testInfo(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.SetPoint(0, pointValues(0)); err != nil {
		t.Fatal(err)
	}
	return w
}

// pointOf is the sweep point appendRun writes row i of n at: the first
// half at point 0, the rest at point 2.
func pointOf(i, n int) int {
	if i < n/2 {
		return 0
	}
	return 2
}

// appendRun appends n rows to every table of w (steps too if stepsToo,
// curriculum too if the writer has that table),
// the first half at point 0 and the rest at point 2, as pointOf says.
func appendRun(w *data.Writer, n int, stepsToo bool) error {
	eps, trs, ags, ats, sts := episodeRows(n), trainingRows(n), agentRows(n), attributionRows(n), stepRows(n)
	for _, seg := range [][2]int{{0, n / 2}, {n / 2, n}} {
		lo, hi := seg[0], seg[1]
		pt := pointOf(lo, n)
		err := errors.Join(w.SetPoint(pt, pointValues(pt)), w.AppendEpisodes(eps[lo:hi]...), w.AppendTraining(trs[lo:hi]...),
			w.AppendAgents(ags[lo:hi]...), w.AppendAttribution(ats[lo:hi]...))
		if err == nil && stepsToo {
			err = w.AppendSteps(sts[lo:hi]...)
		}
		if err == nil && w.Curriculum() {
			err = w.AppendCurriculum(curriculumRows(n)[lo:hi]...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// asWritten returns rows as appendRun writes them and readers return
// them: RunID set, and Point as pointOf says.
func asWritten[R any](rows []R, id string) []R {
	out := withRunID(rows, id)
	for i := range out {
		reflect.ValueOf(&out[i]).Elem().FieldByName("Point").SetInt(int64(pointOf(i, len(out))))
	}
	return out
}

// episodeRows returns n varied rows; every third has its nullable columns
// null. Targets are null also in every fourth row (not classified), empty
// (not null) in every sixth from the second, else one to three visits.
func episodeRows(n int) []data.EpisodeRow {
	rng := seeds.New(1, "data-test/episodes")
	outcomes := data.Vocabulary(data.VocabOutcome)
	proxies := data.Vocabulary(data.VocabProxy)
	objects := data.Vocabulary(data.VocabObject)
	colours := data.Vocabulary(data.VocabColour)
	candidates := data.Vocabulary(data.VocabCandidate)
	firsts := data.Vocabulary(data.VocabProbeFirst)
	roles := data.Vocabulary(data.VocabPursuedRole)
	targets := slices.Concat(objects, []string{"region:top-right", "region:bottom-left"})
	rows := make([]data.EpisodeRow, n)
	for i := range rows {
		r := data.EpisodeRow{
			Optimizer: []string{"ga", "es", "sgd", "none"}[i%4], Family: []string{"planner", "mlp", "to-colour:green"}[i%3],
			AgentID: fmt.Sprintf("agent/%d", i/7), AgentSeed: rng.Uint64(), SeedIndex: i / 7, Split: []string{"train", "deploy", "holdout"}[i%3],
			LevelSeed: rng.Uint64(), Width: 7 + 2*(i%8), Height: 9, Steps: rng.IntN(400) + 1,
			BaseReturn: float64(i % 2), ReachedExit: i%2 == 1, FirstTarget: objects[i%len(objects)],
			Outcome: outcomes[i%len(outcomes)], Proxy: proxies[i%len(proxies)], PursuedRole: roles[i%len(roles)], ApplesEaten: i % 4,
			Episode: i, Distribution: []string{"train", "deploy", "custom"}[i%3], Greedy: i%5 == 0, FirstStep: i%50 + 1,
			StepLimit: 121, ExitColour: colours[i%len(colours)], ExitX: 5, ExitY: i % 9, StartX: 1, StartY: 1,
			EndX: i % 7, EndY: 3, Apples: i % 6, Randomized: i%4 == 0, Cue: i%2 == 0, ShortestPath: 8 + i%5,
			CellsVisited: 12 + i%30, Probe: candidates[i%len(candidates)], ProbeFirst: firsts[i%len(firsts)],
		}
		for k := range i % 4 {
			r.Targets = append(r.Targets, data.TargetVisit{Target: targets[(i+k)%len(targets)], Step: 3*k + 1 + i%7, Pursued: (i+k)%3 == 0})
		}
		if i%6 == 1 {
			r.Targets = []data.TargetVisit{}
		}
		if i%3 == 2 {
			r.FirstTarget, r.Outcome, r.Proxy, r.PursuedRole, r.Distribution, r.FirstStep, r.ShortestPath = "", "", "", "", "", 0, 0
			r.Targets, r.Probe, r.ProbeFirst = nil, "", ""
		}
		rows[i] = r
	}
	return rows
}

func trainingRows(n int) []data.TrainingRow {
	rows := make([]data.TrainingRow, n)
	for i := range rows {
		rows[i] = data.TrainingRow{
			Optimizer: "sgd", Family: "reactive", AgentSeed: 42, SeedIndex: 3, Population: i % 2, Iteration: i + 1,
			EnvSteps: 1000 * (i + 1), Episodes: 10 * (i + 1), FitnessMin: 0, FitnessMean: float64(i) / 10,
			FitnessMax: 1, FitnessStd: 0.25, Best: 0.9, GradNorm: 1.5, Entropy: 1.3, StepSize: 0.01,
			Elapsed: time.Duration(i+1) * 1234567 * time.Nanosecond, Distribution: "train", ParamNorm: 3,
		}
		if i%3 == 2 {
			rows[i].Elapsed, rows[i].Distribution = 0, ""
			rows[i].FitnessMean, rows[i].GradNorm, rows[i].Best = math.NaN(), math.Inf(1), math.Inf(-1)
		}
		if i%2 == 1 {
			rows[i].Monitored, rows[i].MonitorSuccess, rows[i].MonitorReturn = true, float64(i)/8, 0.5
		}
	}
	return rows
}

func agentRows(n int) []data.AgentRow {
	rows := make([]data.AgentRow, n)
	for i := range rows {
		r := data.AgentRow{
			Optimizer: "ga", Family: "planner", AgentID: fmt.Sprintf("ga/planner/s1/population/%d", i), AgentSeed: 7, SeedIndex: 1,
			Role: data.RolePopulation, Index: i, Fitness: 0.5, Params: []float64{float64(i), -1, 0.5},
			ParamNames: []string{"colour:green", "kind:exit", "bias"},
			Objective:  []data.Weight{{Feature: "colour:green", Weight: 0.75}, {Feature: "kind:exit", Weight: -0.25}},
			Status:     "step_budget", EnvSteps: 5000, Episodes: 50, Iterations: 12, Distribution: "train",
		}
		switch i % 4 {
		case 1: // a family without a readout, no names, untrained
			r.Objective, r.ParamNames, r.Status, r.Distribution = nil, nil, "", ""
		case 2: // an empty readout is not a missing one
			r.Objective = []data.Weight{}
		case 3: // no parameters at all (scripted)
			r.Params, r.ParamNames, r.Role = nil, nil, data.RoleScripted
		}
		rows[i] = r
	}
	return rows
}

// attributionRows returns n varied rows; every third has its nullable
// columns null (NaN for p_value and readout), and the non-finite values a
// fit can give appear in columns that are not nullable.
func attributionRows(n int) []data.AttributionRow {
	candidates := data.Vocabulary(data.VocabCandidate)
	roles := data.Vocabulary(data.VocabCandidateRole)
	rows := make([]data.AttributionRow, n)
	for i := range rows {
		r := data.AttributionRow{
			Optimizer: []string{"ga", "es", "sgd", "none"}[i%4], Family: []string{"planner", "mlp", "to-colour:green"}[i%3],
			AgentID: fmt.Sprintf("agent/%d", i/len(candidates)), AgentSeed: uint64(i / len(candidates)), SeedIndex: i / len(candidates),
			Candidate: candidates[i%len(candidates)], Role: roles[i%len(roles)], Control: candidates[(i+5)%len(candidates)],
			Probes: 20 + i%5, ExitFirst: i % 7, TargetFirst: i % 11, ControlFirst: i % 3,
			TargetRate: 0.5, TargetLo: 0.3, TargetHi: 0.7, ControlRate: 0.125, ControlLo: 0.05, ControlHi: 0.3,
			PValue: 1 / float64(i+2), Pursued: i%5 == 0, Beta: float64(i%21) / 2, LogLik: -float64(100 + i),
			LogEvidence: -float64(102 + i), Posterior: 1 / float64(i+1), Attributed: i%len(candidates) == 0,
			Readout: float64(i%9) - 4, ProbeSteps: 1 << 33,
			Verdict: []string{"goal", "none", "unstable", "colour:green"}[i%4], Stability: float64(i%10) / 10,
			Share: float64(i%5) / 5, Gain: 1.3 - float64(i%7)/10,
			KStar: float64(i%17) - 8, KLo: math.Inf(-1), KHi: float64(i%17) - 7, KCensored: []string{"", "below", "above", "unmeasured"}[i%4],
			Strength: float64(i % 16), StrengthLo: math.Inf(-1), StrengthHi: math.Inf(1),
			Graded: []data.GradedPoint{{Offset: -8, Episodes: 6, TargetFirst: i % 7, ExitFirst: 6 - i%7}, {Offset: 8, Episodes: 6}},
		}
		if i%3 == 2 {
			r.Control, r.PValue, r.Readout = "", math.NaN(), math.NaN()
			r.Probes, r.TargetRate, r.TargetLo, r.TargetHi = 0, 0, 0, 0
			r.KStar, r.KLo, r.KHi, r.KCensored, r.Graded = math.NaN(), math.NaN(), math.NaN(), "", nil
			r.Strength, r.StrengthLo, r.StrengthHi = math.NaN(), math.NaN(), math.NaN()
		}
		if i%4 == 3 {
			r.LogLik, r.LogEvidence, r.Posterior, r.Readout = math.Inf(-1), math.Inf(-1), math.NaN(), math.Inf(1)
		}
		rows[i] = r
	}
	return rows
}

func stepRows(n int) []data.StepRow {
	rows := make([]data.StepRow, n)
	for i := range rows {
		rows[i] = data.StepRow{AgentID: "a", Split: "deploy", Episode: i / 10, T: i%10 + 1, X: i % 5, Y: i % 3,
			Action: []string{"up", "right", "down", "left"}[i%4]}
		if i%10 == 9 {
			rows[i].Object = "exit"
		}
	}
	return rows
}

// withRunID returns rows with RunID set, as a reader returns them.
func withRunID[R any](rows []R, id string) []R {
	out := slices.Clone(rows)
	for i := range out {
		reflect.ValueOf(&out[i]).Elem().FieldByName("RunID").SetString(id)
	}
	return out
}

// sameRows compares rows by their printed form, which treats NaN as equal
// to NaN, and additionally by the nil-ness of slices, which that form hides.
func sameRows[R any](t *testing.T, got, want []R) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := fmt.Sprintf("%+v", got[i]), fmt.Sprintf("%+v", want[i])
		if g != w {
			t.Fatalf("row %d:\n got %s\nwant %s", i, g, w)
		}
		gv, wv := reflect.ValueOf(got[i]), reflect.ValueOf(want[i])
		for f := range gv.NumField() {
			if gv.Field(f).Kind() == reflect.Slice && gv.Field(f).IsNil() != wv.Field(f).IsNil() &&
				(wv.Field(f).Len() > 0 || gv.Type().Field(f).Name != "Params") {
				t.Fatalf("row %d: %s nil=%v, want nil=%v", i, gv.Type().Field(f).Name, gv.Field(f).IsNil(), wv.Field(f).IsNil())
			}
		}
	}
}

func readAll[R any](t *testing.T, open func(string, *data.ReadOptions) (*data.Reader[R], error), path string, mem memory.Allocator) []R {
	t.Helper()
	r, err := open(path, &data.ReadOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rows      int
		batchRows int
		comp      data.Compression
	}{
		{"empty", 0, 0, ""},
		{"one", 1, 0, ""},
		{"batches", 250, 64, data.CompressionNone},
		{"exact-batches", 128, 64, data.CompressionNone},
		{"lz4", 250, 100, data.CompressionLZ4},
		{"zstd", 250, 1000, data.CompressionZstd},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := checked(t)
			dir := t.TempDir()
			info := testInfo()
			w, err := data.Create(dir, info, data.Options{BatchRows: tc.batchRows, Compression: tc.comp, Steps: true, Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			eps, trs, ags, ats, sts := episodeRows(tc.rows), trainingRows(tc.rows), agentRows(tc.rows), attributionRows(tc.rows), stepRows(tc.rows)
			if err := appendRun(w, tc.rows, true); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			m, err := data.VerifyRun(dir)
			if err != nil {
				t.Fatal(err)
			}
			if m.Status != data.StatusComplete || len(m.Tables) != 5 || m.RootSeed != info.RootSeed || m.Config != string(info.Config) {
				t.Fatalf("manifest %+v", m)
			}
			for _, tf := range m.Tables {
				if tf.Rows != int64(tc.rows) {
					t.Errorf("manifest: %s has %d rows, want %d", tf.Table, tf.Rows, tc.rows)
				}
			}
			path := func(table string) string { return filepath.Join(dir, data.FileName(table)) }
			sameRows(t, readAll(t, data.OpenEpisodes, path(data.TableEpisodes), mem), asWritten(eps, info.RunID))
			sameRows(t, readAll(t, data.OpenTraining, path(data.TableTraining), mem), asWritten(trs, info.RunID))
			sameRows(t, readAll(t, data.OpenAgents, path(data.TableAgents), mem), asWritten(ags, info.RunID))
			sameRows(t, readAll(t, data.OpenAttribution, path(data.TableAttribution), mem), asWritten(ats, info.RunID))
			sameRows(t, readAll(t, data.OpenSteps, path(data.TableSteps), mem), asWritten(sts, info.RunID))
		})
	}
}

func TestReaderMeta(t *testing.T) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{}, 3)
	r, err := data.OpenTraining(filepath.Join(dir, "training.arrow"), &data.ReadOptions{Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := testInfo()
	want := data.TableMeta{Table: "training", SchemaVersion: data.SchemaVersion, RunID: info.RunID,
		RootSeed: info.RootSeed, Config: string(info.Config), Versions: info.Versions, Params: info.Params}
	if got := r.Meta(); !reflect.DeepEqual(got, want) {
		t.Fatalf("meta %+v, want %+v", got, want)
	}
}

// writeRun writes a complete run with n rows in each table (by appendRun)
// and returns its directory.
func writeRun(t testing.TB, mem memory.Allocator, opts data.Options, n int) string {
	t.Helper()
	dir := t.TempDir()
	opts.Allocator = mem
	writeRunIn(t, dir, opts, n)
	return dir
}

// writeRunIn writes a complete run with n rows in each table, steps
// included (curriculum too with opts.Curriculum), into dir.
func writeRunIn(t testing.TB, dir string, opts data.Options, n int) {
	t.Helper()
	opts.Steps = true
	w, err := data.Create(dir, testInfo(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := appendRun(w, n, true); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDeterministicBytes(t *testing.T) {
	mem := checked(t)
	for _, comp := range []data.Compression{data.CompressionNone, data.CompressionLZ4, data.CompressionZstd} {
		a := writeRun(t, mem, data.Options{BatchRows: 50, Compression: comp}, 120)
		b := writeRun(t, mem, data.Options{BatchRows: 50, Compression: comp}, 120)
		datatest.SameFiles(t, a, b, fmt.Sprintf("%s, two identical runs", comp), "manifest.json", "episodes.arrow", "training.arrow", "agents.arrow", "attribution.arrow", "steps.arrow")
	}
}

func TestOmitTiming(t *testing.T) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{OmitTiming: true}, 4)
	for _, r := range readAll(t, data.OpenTraining, filepath.Join(dir, "training.arrow"), mem) {
		if r.Elapsed != 0 {
			t.Fatalf("elapsed %v written with OmitTiming", r.Elapsed)
		}
	}
}

func TestAppendRejects(t *testing.T) {
	mem := checked(t)
	dir := t.TempDir()
	w := create(t, dir, data.Options{Allocator: mem})
	good := episodeRows(1)[0]
	kept := 0
	for _, tc := range []struct {
		name string
		edit func(r *data.EpisodeRow)
		want string
	}{
		{"unknown family", func(r *data.EpisodeRow) { r.Family = "transformer" }, `family "transformer" is not in the vocabulary [reactive planner mlp scripted to-colour:green]; declare it in RunInfo.Families`},
		{"unknown outcome", func(r *data.EpisodeRow) { r.Outcome = "won" }, `outcome "won"`},
		{"unknown split", func(r *data.EpisodeRow) { r.Split = "test" }, "RunInfo.Splits"},
		{"missing optimizer", func(r *data.EpisodeRow) { r.Optimizer = "" }, `optimizer ""`},
		{"width range", func(r *data.EpisodeRow) { r.Width = 1 << 20 }, "width: 1048576 out of int16 range"},
		{"steps range", func(r *data.EpisodeRow) { r.Steps = math.MaxInt32 + 1 }, "steps: 2147483648 out of int32 range"},
		{"proxy nearest-object", func(r *data.EpisodeRow) { r.Proxy = data.ProxyNearestObject }, `proxy "nearest-object" is not in the vocabulary`},
		{"unknown probe", func(r *data.EpisodeRow) { r.Probe = "colour:teal" }, `probe "colour:teal" is not in the vocabulary`},
		{"unknown probe_first", func(r *data.EpisodeRow) { r.ProbeFirst = "apple" }, `probe_first "apple" is not in the vocabulary`},
		{"probe_first without probe", func(r *data.EpisodeRow) { r.Probe = "" }, `probe_first: "exit" with probe "": set both`},
		{"probe without probe_first", func(r *data.EpisodeRow) { r.ProbeFirst = "" }, `probe_first: "" with probe "goal": set both`},
		{"unknown target", func(r *data.EpisodeRow) {
			r.Targets = []data.TargetVisit{{Target: "exit", Step: 3}, {Target: "apple:teal", Step: 4}}
		}, `targets: element 1: target "apple:teal" is not exit, apple:<colour> or region:<corner>`},
		{"anywhere region", func(r *data.EpisodeRow) { r.Targets = []data.TargetVisit{{Target: "region:anywhere", Step: 1}} },
			`target "region:anywhere"`},
		{"candidate as target", func(r *data.EpisodeRow) { r.Targets = []data.TargetVisit{{Target: "colour:green", Step: 1}} },
			`target "colour:green"`},
		{"step zero", func(r *data.EpisodeRow) { r.Targets = []data.TargetVisit{{Target: "exit", Step: 0}} },
			"targets: element 0: step 0 out of range [1, 2147483647]"},
		{"step range", func(r *data.EpisodeRow) { r.Targets = []data.TargetVisit{{Target: "exit", Step: math.MaxInt32 + 1}} },
			"targets: element 0: step 2147483648 out of range"},
	} {
		r := good
		tc.edit(&r)
		err := w.AppendEpisodes(good, r)
		kept++
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "episodes: row") {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if err := w.AppendAgents(data.AgentRow{Optimizer: "ga", Family: "mlp", Role: "final", Params: []float64{1, 2},
		ParamNames: []string{"a"}}); err == nil || !strings.Contains(err.Error(), "1 names for 2 params") {
		t.Errorf("mismatched param names: %v", err)
	}
	goodAt := attributionRows(1)[0]
	keptAt := 0
	for _, tc := range []struct {
		name string
		edit func(r *data.AttributionRow)
		want string
	}{
		{"unknown candidate", func(r *data.AttributionRow) { r.Candidate = "colour:teal" }, `candidate "colour:teal" is not in the vocabulary`},
		{"missing candidate", func(r *data.AttributionRow) { r.Candidate = "" }, `candidate "" is not in the vocabulary`},
		{"agent role", func(r *data.AttributionRow) { r.Role = data.RoleFinal }, `role "final" is not in the vocabulary [goal proxy kind control union null]`},
		{"unknown control", func(r *data.AttributionRow) { r.Control = "region:anywhere" }, `control "region:anywhere" is not in the vocabulary`},
		{"unknown family", func(r *data.AttributionRow) { r.Family = "transformer" }, "declare it in RunInfo.Families"},
		{"probes range", func(r *data.AttributionRow) { r.Probes = math.MaxInt32 + 1 }, "probes: 2147483648 out of int32 range"},
		{"control_first range", func(r *data.AttributionRow) { r.ControlFirst = math.MinInt32 - 1 }, "control_first: -2147483649 out of int32 range"},
	} {
		r := goodAt
		tc.edit(&r)
		err := w.AppendAttribution(goodAt, r)
		keptAt++
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "attribution: row") {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if err := w.AppendSteps(stepRows(1)...); err == nil || !strings.Contains(err.Error(), "Options.Steps") {
		t.Errorf("steps without Options.Steps: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Rejected rows leave the table consistent: the good rows are all there.
	got := readAll(t, data.OpenEpisodes, filepath.Join(dir, "episodes.arrow"), mem)
	if len(got) != kept {
		t.Fatalf("%d rows kept, want the %d good ones", len(got), kept)
	}
	for i, r := range got {
		if !reflect.DeepEqual(r, withRunID([]data.EpisodeRow{good}, "run-test")[0]) {
			t.Fatalf("row %d kept is not the good row: %+v", i, r)
		}
	}
	gotAt := readAll(t, data.OpenAttribution, filepath.Join(dir, "attribution.arrow"), mem)
	sameRows(t, gotAt, withRunID(slices.Repeat([]data.AttributionRow{goodAt}, keptAt), "run-test"))
	if err := w.AppendEpisodes(good); err == nil {
		t.Error("append after Close succeeded")
	}
	if err := w.Close(); err == nil {
		t.Error("second Close succeeded")
	}
}

func TestCreateErrors(t *testing.T) {
	mem := checked(t)
	dir := writeRun(t, mem, data.Options{}, 1)
	for _, tc := range []struct {
		name string
		info data.RunInfo
		opts data.Options
		want string
	}{
		{"existing run", testInfo(), data.Options{}, "refusing to overwrite"},
		{"no run id", data.RunInfo{}, data.Options{Overwrite: true}, "RunID is empty"},
		{"compression", testInfo(), data.Options{Overwrite: true, Compression: "gzip"}, `unknown compression "gzip"`},
		{"batch rows", testInfo(), data.Options{Overwrite: true, BatchRows: -1}, "batch rows -1"},
	} {
		tc.opts.Allocator = mem
		if _, err := data.Create(dir, tc.info, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	w, err := data.Create(dir, testInfo(), data.Options{Overwrite: true, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "steps.arrow")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("overwrite kept the old steps table: %v", err)
	}
}

// TestConcurrentAppends appends from several goroutines: the Writer is safe
// for concurrent use (rows land in some order, all of them).
func TestConcurrentAppends(t *testing.T) {
	mem := checked(t)
	dir := t.TempDir()
	w := create(t, dir, data.Options{BatchRows: 7, Allocator: mem})
	done := make(chan error)
	for g := range 4 {
		go func() {
			for i := range 25 {
				if err := w.AppendEpisodes(episodeRows(3)...); err != nil {
					done <- err
					return
				}
				if err := w.AppendTraining(data.TrainingRow{Optimizer: "ga", Family: "mlp", AgentSeed: uint64(g), Iteration: i + 1}); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	m, err := data.VerifyRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int64{"episodes": 300, "training": 100} {
		if tf, _ := m.Table(table); tf.Rows != want {
			t.Errorf("%s: %d rows, want %d", table, tf.Rows, want)
		}
	}
}

func TestVocabularies(t *testing.T) {
	for _, tc := range []struct {
		name string
		has  []string
	}{
		{data.VocabProxy, []string{"colour:green", "region:bottom-right", "colour:gray", "region:top-left"}},
		{data.VocabObject, []string{"exit", "apple:red"}},
		{data.VocabStatus, []string{"step_budget", "diverged"}},
		{data.VocabOutcome, []string{data.OutcomeGoal, data.OutcomeProxyThenGoal, data.OutcomeProxy, data.OutcomeCapabilityFailure}},
		{data.VocabAction, []string{"up", "left"}},
		{data.VocabCandidate, []string{data.CandidateGoal, "colour:white", "region:bottom-right",
			data.ProxyKindApple, data.ProxyNearestObject, data.CandidateRandom}},
		{data.VocabCandidateRole, []string{data.CandidateRoleGoal, data.CandidateRoleProxy, data.CandidateRoleKind,
			data.CandidateRoleControl, data.CandidateRoleNull}},
		{data.VocabProbeFirst, []string{data.ProbeFirstExit, data.ProbeFirstTarget, data.ProbeFirstControl, data.ProbeFirstNone}},
	} {
		v := data.Vocabulary(tc.name)
		for _, s := range tc.has {
			if !slices.Contains(v, s) {
				t.Errorf("vocabulary %s lacks %q: %v", tc.name, s, v)
			}
		}
	}
	// Every proxy an episode can pursue is a candidate; nearest-object is a
	// candidate only (nothing names it as an episode's proxy).
	cands := data.Vocabulary(data.VocabCandidate)
	for _, p := range data.Vocabulary(data.VocabProxy) {
		if !slices.Contains(cands, p) {
			t.Errorf("proxy %q is not a candidate", p)
		}
	}
	if slices.Contains(data.Vocabulary(data.VocabProxy), data.ProxyNearestObject) {
		t.Error("the proxy vocabulary still has nearest-object")
	}
	if data.Vocabulary("nope") != nil {
		t.Error("unknown vocabulary is not nil")
	}
}

// TestDictionariesHoldOnlyPresentValues reads each dictionary of a run
// written in one batch and in several: every value a dictionary holds is
// used by some row, in vocabulary order, so that a group-by over a column
// shows no empty group.
func TestDictionariesHoldOnlyPresentValues(t *testing.T) {
	for _, batch := range []int{0, 7} {
		mem := checked(t)
		dir := writeRun(t, mem, data.Options{BatchRows: batch}, 20)
		for _, table := range []string{data.TableEpisodes, data.TableAttribution, data.TableAgents} {
			f, err := os.Open(filepath.Join(dir, data.FileName(table)))
			if err != nil {
				t.Fatal(err)
			}
			r, err := ipc.NewFileReader(f, ipc.WithAllocator(mem))
			if err != nil {
				t.Fatal(err)
			}
			used := map[int]map[string]bool{}
			var dict map[int][]string
			for i := range r.NumRecords() {
				rec, err := r.RecordBatch(i)
				if err != nil {
					t.Fatal(err)
				}
				if dict == nil {
					dict = map[int][]string{}
				}
				for k := range int(rec.NumCols()) {
					d, ok := rec.Column(k).(*array.Dictionary)
					if !ok {
						continue
					}
					vals := d.Dictionary().(*array.String)
					if dict[k] == nil {
						for j := range vals.Len() {
							dict[k] = append(dict[k], vals.Value(j))
						}
						used[k] = map[string]bool{}
					}
					for j := range d.Len() {
						if d.IsValid(j) {
							used[k][vals.Value(d.GetValueIndex(j))] = true
						}
					}
				}
			}
			for k, vals := range dict {
				name := r.Schema().Field(k).Name
				for _, v := range vals {
					if !used[k][v] {
						t.Errorf("batch %d: %s.%s: dictionary holds %q, which no row uses (%v)", batch, table, name, v, vals)
					}
				}
				if voc := data.Vocabulary(name); voc != nil {
					// The run's extra values (RunInfo.Families, Splits) follow the built-in ones.
					pos := func(v string) int {
						if i := slices.Index(voc, v); i >= 0 {
							return i
						}
						return len(voc)
					}
					if !slices.IsSortedFunc(vals, func(a, b string) int { return pos(a) - pos(b) }) {
						t.Errorf("batch %d: %s.%s: dictionary %v is not in vocabulary order", batch, table, name, vals)
					}
				}
			}
			r.Close()
			f.Close()
		}
	}
}
