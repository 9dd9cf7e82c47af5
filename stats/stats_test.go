package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// near reports whether got is within tol of want, treating two NaNs as
// equal.
func near(got, want, tol float64) bool {
	if got == want {
		return true
	}
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= tol
}

func newRand() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

var nan = math.NaN()

func TestMeanT(t *testing.T) {
	// Reference half-widths: t quantiles from standard tables
	// (t_{0.975,4} = 2.776445, t_{0.95,4} = 2.131847, t_{0.975,1} =
	// 12.706205), s = sqrt(2.5) = 1.581139 for 1..5, so
	// 95%: 2.776445·1.581139/2.236068 = 1.963243,
	// 90%: 2.131847·1.581139/2.236068 = 1.507443;
	// for {0, 1}: s/√n = 0.5, 12.706205·0.5 = 6.353102.
	tests := []struct {
		name           string
		xs             []float64
		level          float64
		centre, lo, hi float64
	}{
		{"1..5 at 95%", []float64{1, 2, 3, 4, 5}, 0.95, 3, 3 - 1.963243, 3 + 1.963243},
		{"1..5 at 90%", []float64{5, 4, 3, 2, 1}, 0.90, 3, 3 - 1.507443, 3 + 1.507443},
		{"two seeds", []float64{0, 1}, 0.95, 0.5, 0.5 - 6.353102, 0.5 + 6.353102},
		{"all equal", []float64{0.1, 0.1, 0.1}, 0.95, 0.1, 0.1, 0.1},
		{"one seed", []float64{0.7}, 0.95, 0.7, nan, nan},
		{"empty", nil, 0.95, nan, nan, nan},
		{"NaN value", []float64{1, nan, 3}, 0.95, nan, nan, nan},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iv, err := MeanT(tt.xs, tt.level)
			if err != nil {
				t.Fatal(err)
			}
			if !near(iv.Centre, tt.centre, 1e-12) || !near(iv.Lo, tt.lo, 1e-6) || !near(iv.Hi, tt.hi, 1e-6) {
				t.Errorf("MeanT = %v [%v, %v], want %v [%v, %v]", iv.Centre, iv.Lo, iv.Hi, tt.centre, tt.lo, tt.hi)
			}
			if iv.N != len(tt.xs) || iv.Method != MethodT || iv.Level != tt.level {
				t.Errorf("N, Method, Level = %d, %q, %v", iv.N, iv.Method, iv.Level)
			}
		})
	}
}

func TestBadParameters(t *testing.T) {
	xs := []float64{1, 2, 3}
	for _, level := range []float64{0, 1, -0.5, 1.5, nan} {
		if _, err := MeanT(xs, level); err == nil {
			t.Errorf("MeanT level %v: no error", level)
		}
		if _, err := MeanBootstrap(xs, level, 100, newRand()); err == nil {
			t.Errorf("MeanBootstrap level %v: no error", level)
		}
		if _, err := Wilson(1, 2, level); err == nil {
			t.Errorf("Wilson level %v: no error", level)
		}
		if _, err := Compare(xs, xs, level, newRand()); err == nil {
			t.Errorf("Compare alpha %v: no error", level)
		}
	}
	if _, err := MeanBootstrap(xs, 0.95, 0, newRand()); err == nil {
		t.Error("MeanBootstrap 0 resamples: no error")
	}
	if _, err := MeanBootstrap(xs, 0.95, 100, nil); err == nil {
		t.Error("MeanBootstrap nil rng: no error")
	}
	if _, err := Compare(xs, xs, 0.05, nil); err == nil {
		t.Error("Compare nil rng: no error")
	}
	for _, c := range [][2]int{{-1, 10}, {11, 10}, {0, -1}} {
		if _, err := Wilson(c[0], c[1], 0.95); err == nil {
			t.Errorf("Wilson(%d, %d): no error", c[0], c[1])
		}
	}
	for _, ps := range [][]float64{{0.1, -0.1}, {1.5}, {nan}} {
		if _, err := Holm(ps); err == nil {
			t.Errorf("Holm(%v): no error", ps)
		}
	}
}

func TestWilson(t *testing.T) {
	// Reference values from the Wilson formula evaluated in pure Python
	// with z = statistics.NormalDist().inv_cdf(0.975) = 1.9599639845400536:
	// 8/10 → [0.49016247, 0.94331785]; 0/10 → [0, 0.27753280];
	// 10/10 → [0.72246720, 1]. For 0/10, Hi = z²/(n+z²).
	tests := []struct {
		s, n           int
		centre, lo, hi float64
	}{
		{8, 10, 0.8, 0.49016247, 0.94331785},
		{0, 10, 0, 0, 0.27753280},
		{10, 10, 1, 0.72246720, 1},
		{0, 0, nan, nan, nan},
	}
	for _, tt := range tests {
		iv, err := Wilson(tt.s, tt.n, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if !near(iv.Centre, tt.centre, 1e-12) || !near(iv.Lo, tt.lo, 1e-8) || !near(iv.Hi, tt.hi, 1e-8) {
			t.Errorf("Wilson(%d, %d) = %v [%v, %v], want %v [%v, %v]", tt.s, tt.n, iv.Centre, iv.Lo, iv.Hi, tt.centre, tt.lo, tt.hi)
		}
	}
	// The edges are exact, not merely close.
	if iv, _ := Wilson(0, 10, 0.95); iv.Lo != 0 {
		t.Errorf("Wilson(0, 10).Lo = %g, want exactly 0", iv.Lo)
	}
	if iv, _ := Wilson(10, 10, 0.95); iv.Hi != 1 {
		t.Errorf("Wilson(10, 10).Hi = %g, want exactly 1", iv.Hi)
	}
}

func TestMeanBootstrap(t *testing.T) {
	xs := []float64{0.62, 0.71, 0.55, 0.80, 0.68, 0.64, 0.59, 0.77}
	const mean = 0.67

	a, err := MeanBootstrap(xs, 0.95, 2000, rand.New(rand.NewPCG(7, 8)))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := MeanBootstrap(xs, 0.95, 2000, rand.New(rand.NewPCG(7, 8)))
	if a != b {
		t.Errorf("same seed, different intervals: %+v, %+v", a, b)
	}
	if !near(a.Centre, mean, 1e-12) || !a.Contains(mean) || !(a.Lo < a.Hi) {
		t.Errorf("interval %+v does not contain the mean %v", a, mean)
	}
	// Resampled means lie within the range of the data.
	if a.Lo < 0.55 || a.Hi > 0.80 {
		t.Errorf("interval %+v outside the data range", a)
	}
	// With eight seeds the percentile bootstrap is narrower than the t
	// interval (it ignores the t correction) but of the same order.
	tiv, _ := MeanT(xs, 0.95)
	if r := a.HalfWidth() / tiv.HalfWidth(); r < 0.5 || r > 1.2 {
		t.Errorf("bootstrap half-width %v vs t %v", a.HalfWidth(), tiv.HalfWidth())
	}
	c, _ := MeanBootstrap(xs, 0.95, 2000, rand.New(rand.NewPCG(9, 10)))
	if c == a {
		t.Errorf("different seeds gave identical intervals %+v", c)
	}

	for _, tt := range []struct {
		name           string
		xs             []float64
		centre, lo, hi float64
	}{
		{"all equal", []float64{0.3, 0.3, 0.3, 0.3}, 0.3, 0.3, 0.3},
		{"one seed", []float64{0.3}, 0.3, nan, nan},
		{"empty", nil, nan, nan, nan},
	} {
		iv, err := MeanBootstrap(tt.xs, 0.95, 100, newRand())
		if err != nil {
			t.Fatal(err)
		}
		if !near(iv.Centre, tt.centre, 0) || !near(iv.Lo, tt.lo, 0) || !near(iv.Hi, tt.hi, 0) {
			t.Errorf("%s: %+v, want %v [%v, %v]", tt.name, iv, tt.centre, tt.lo, tt.hi)
		}
	}
}

// TestMeanBootstrapFrozen freezes the output for one seed, so that a
// change to the resampling scheme is noticed. The values are from this
// implementation, not an independent reference.
func TestMeanBootstrapFrozen(t *testing.T) {
	iv, err := MeanBootstrap([]float64{1, 2, 3, 4, 5}, 0.95, 1000, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	want := Interval{Centre: 3, Lo: 1.8, Hi: 4.2, N: 5, Level: 0.95, Method: MethodBootstrap}
	if iv != want {
		t.Errorf("got %+v, want %+v", iv, want)
	}
}
