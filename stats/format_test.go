package stats

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestFormatInterval(t *testing.T) {
	tests := []struct {
		name    string
		iv      Interval
		percent bool
		want    string
	}{
		{"symmetric percent", Interval{Centre: 0.42, Lo: 0.359, Hi: 0.481}, true, "42.0% ± 6.1%"},
		{"asymmetric percent", Interval{Centre: 0.8, Lo: 0.49016, Hi: 0.94332}, true, "80.0% [49.0%, 94.3%]"},
		{"zero width", Interval{Centre: 0.3, Lo: 0.3, Hi: 0.3}, true, "30.0% ± 0.0%"},
		{"one seed", Interval{Centre: 0.7, Lo: nan, Hi: nan}, true, "70.0% ± ∞"},
		{"empty", Interval{Centre: nan, Lo: nan, Hi: nan}, true, "n/a"},
		{"raw, two figures of half-width", Interval{Centre: 3, Lo: 3 - 1.963243, Hi: 3 + 1.963243}, false, "3.0 ± 2.0"},
		{"raw, large", Interval{Centre: 123.4, Lo: 108.2, Hi: 138.6}, false, "123 ± 15"},
		{"raw, small", Interval{Centre: 0.01234, Lo: 0.01134, Hi: 0.01334}, false, "0.0123 ± 0.0010"},
		{"raw, asymmetric", Interval{Centre: 2, Lo: 1.8, Hi: 4.2}, false, "2.0 [1.8, 4.2]"},
		{"raw, zero width", Interval{Centre: 0.1, Lo: 0.1, Hi: 0.1}, false, "0.1 ± 0"},
		{"raw, one seed", Interval{Centre: 12.5, Lo: nan, Hi: nan}, false, "12.5 ± ∞"},
	}
	if got, want := (Interval{Centre: 2, Lo: 1.8, Hi: 4.2}).String(), "2.0 [1.8, 4.2]"; got != want {
		t.Errorf("Interval.String = %q, want %q", got, want)
	}
	for _, tt := range tests {
		if got := FormatInterval(tt.iv, tt.percent); got != tt.want {
			t.Errorf("%s: FormatInterval = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestFormatComparison(t *testing.T) {
	sig := Comparison{
		A:    Interval{Centre: 0.54, Lo: 0.50, Hi: 0.58},
		B:    Interval{Centre: 0.42, Lo: 0.38, Hi: 0.46},
		Diff: 0.12, P: 2.0 / 252, NA: 5, NB: 5, Test: TestExact, Alpha: 0.05, Significant: true,
	}
	neg := sig
	neg.Diff = -0.12
	notSig := sig
	notSig.P, notSig.Significant = 0.31, false
	tiny := sig
	tiny.P = 1.0 / 100001
	empty := Comparison{NA: 0, NB: 5, P: math.NaN(), Diff: math.NaN()}
	raw := sig
	raw.A = Interval{Centre: 3, Lo: 2, Hi: 4}
	raw.B = Interval{Centre: 1, Lo: 0.5, Hi: 1.5}
	raw.Diff = 2
	raw.NA, raw.NB = 6, 4

	tests := []struct {
		name    string
		c       Comparison
		percent bool
		want    string
	}{
		{"significant", sig, true, "+12.0 pp (p=0.008 n=5+5)"},
		{"negative", neg, true, "-12.0 pp (p=0.008 n=5+5)"},
		{"not significant", notSig, true, "~ (p=0.310 n=5+5)"},
		{"tiny p", tiny, true, "+12.0 pp (p<0.001 n=5+5)"},
		{"empty group", empty, true, "n/a (n=0+5)"},
		{"raw", raw, false, "+2.00 (p=0.008 n=6+4)"},
	}
	if got, want := raw.String(), "+2.00 (p=0.008 n=6+4)"; got != want {
		t.Errorf("Comparison.String = %q, want %q", got, want)
	}
	for _, tt := range tests {
		if got := FormatComparison(tt.c, tt.percent); got != tt.want {
			t.Errorf("%s: FormatComparison = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestFootnote(t *testing.T) {
	t95 := Interval{Level: 0.95, Method: MethodT}
	cs := []Comparison{{Test: TestExact, Alpha: 0.05, RawP: 0.01}, {Test: TestMonteCarlo, Alpha: 0.05, RawP: 0.2}}
	tests := []struct {
		name string
		iv   Interval
		cs   []Comparison
		want string
	}{
		{"intervals only", t95, nil, "intervals: 95% t over training seeds"},
		{"bootstrap", Interval{Level: 0.9, Method: MethodBootstrap}, nil, "intervals: 90% percentile bootstrap over training seeds"},
		{"wilson", Interval{Level: 0.95, Method: MethodWilson}, nil, "intervals: 95% Wilson score over pooled episodes"},
		{"unadjusted", t95, cs[:1], "intervals: 95% t over training seeds; tests: exact permutation over seeds; ~: p ≥ 0.05"},
		{"mixed tests", t95, cs, "intervals: 95% t over training seeds; tests: exact permutation / Monte Carlo permutation, 100000 resamples over seeds; ~: p ≥ 0.05"},
	}
	for _, tt := range tests {
		if got := Footnote(tt.iv, tt.cs); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
	adj := []Comparison{{Test: TestExact, Alpha: 0.05, RawP: 0.01}, {Test: TestExact, Alpha: 0.05, RawP: 0.2}}
	if err := AdjustHolm(adj); err != nil {
		t.Fatal(err)
	}
	want := "intervals: 95% t over training seeds; tests: exact permutation over seeds, Holm-adjusted over 2 comparisons; ~: p ≥ 0.05"
	if got := Footnote(t95, adj); got != want {
		t.Errorf("adjusted:\n got %q\nwant %q", got, want)
	}
}

// TestTableGolden builds a small report from fixed per-seed success rates
// and compares it with testdata/table.golden; run with -update to rewrite
// the file after an intended change.
func TestTableGolden(t *testing.T) {
	baseline := []float64{0.52, 0.47, 0.58, 0.50, 0.55}
	conditions := []struct {
		name string
		xs   []float64
	}{
		{"curriculum", []float64{0.66, 0.61, 0.70, 0.64, 0.68}},
		{"curiosity", []float64{0.55, 0.49, 0.60, 0.51, 0.53}},
		{"both", []float64{0.71, 0.69, 0.75, 0.66, 0.73}},
		{"one seed", []float64{0.62}},
	}

	tab := &Table{Header: []string{"condition", "success¹", "vs baseline¹", "Hedges' g"}}
	base, err := MeanT(baseline, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	tab.AddRow("baseline", FormatInterval(base, true))
	var cs []Comparison
	for _, c := range conditions {
		cmp, err := Compare(c.xs, baseline, 0.05, newRand())
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, cmp)
	}
	if err := AdjustHolm(cs); err != nil {
		t.Fatal(err)
	}
	for i, c := range conditions {
		g := "n/a"
		if !math.IsNaN(cs[i].EffectSize) {
			g = strconv.FormatFloat(cs[i].EffectSize, 'f', 2, 64)
		}
		tab.AddRow(c.name, FormatInterval(cs[i].A, true), FormatComparison(cs[i], true), g)
	}
	episodes, err := Wilson(412, 500, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	tab.AddRow("both, pooled episodes²", FormatInterval(episodes, true))
	tab.AddNote("¹ " + Footnote(base, cs))
	tab.AddNote("² " + Footnote(episodes, nil) + "; secondary figure, episodes are not independent")

	var buf bytes.Buffer
	n, err := tab.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v; wrote %d bytes", n, err, buf.Len())
	}
	golden := filepath.Join("testdata", "table.golden")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("table differs from %s (run go test -update):\n got:\n%s\nwant:\n%s", golden, buf.Bytes(), want)
	}
}

func TestTableShapes(t *testing.T) {
	tests := []struct {
		name string
		tab  Table
		want string
	}{
		{"empty", Table{}, ""},
		{"no header, ragged", Table{Rows: [][]string{{"a", "bb", "c"}, {"dddd"}}}, "a     bb  c\ndddd\n"},
		{"header and note", Table{Header: []string{"x", "±"}, Rows: [][]string{{"1", "∞"}}, Notes: []string{"n"}}, "x  ±\n────\n1  ∞\n\nn\n"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if _, err := tt.tab.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}
