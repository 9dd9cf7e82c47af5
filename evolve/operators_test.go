package evolve

import (
	"math"
	mrand "math/rand"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mesa-alignment/mesa/seeds"
)

func TestUniformCrossover(t *testing.T) {
	a := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	b := []float64{-1, -2, -3, -4, -5, -6, -7, -8}
	for _, rng := range []Rand{seeds.New(1, "test"), mrand.New(mrand.NewSource(1))} {
		fromA := 0
		for range 1000 {
			dst := make([]float64, len(a))
			UniformCrossover(dst, a, b, rng)
			for i, v := range dst {
				switch v {
				case a[i]:
					fromA++
				case b[i]:
				default:
					t.Fatalf("gene %d = %v is from neither parent", i, v)
				}
			}
		}
		if n := 1000 * len(a); math.Abs(float64(fromA)-float64(n)/2) > 5*math.Sqrt(float64(n)/4) {
			t.Errorf("%T: %d of %d genes from a", rng, fromA, n)
		}
	}
	// dst may alias a parent.
	x, y := slices.Clone(a), slices.Clone(b)
	want := make([]float64, len(a))
	UniformCrossover(want, a, b, seeds.New(2, "test"))
	UniformCrossover(x, x, y, seeds.New(2, "test"))
	if !slices.Equal(x, want) {
		t.Errorf("aliased dst %v, want %v", x, want)
	}
}

func TestArithmeticCrossover(t *testing.T) {
	a := []float64{1, 2, 3, 4}
	b := []float64{3, 2, -1, 0}
	rng := seeds.New(3, "test")
	for range 100 {
		dst := make([]float64, len(a))
		ArithmeticCrossover(dst, a, b, rng)
		w := (dst[0] - b[0]) / (a[0] - b[0])
		if w < 0 || w > 1 {
			t.Fatalf("weight %v outside [0, 1]", w)
		}
		for i := range dst {
			if want := w*a[i] + (1-w)*b[i]; math.Abs(dst[i]-want) > 1e-12 {
				t.Fatalf("gene %d = %v, want %v: not one weight for the child", i, dst[i], want)
			}
		}
	}
	x := slices.Clone(b)
	ArithmeticCrossover(x, a, x, seeds.New(4, "test"))
	want := make([]float64, len(a))
	ArithmeticCrossover(want, a, b, seeds.New(4, "test"))
	if !slices.Equal(x, want) {
		t.Errorf("aliased dst %v, want %v", x, want)
	}
}

func TestGaussianMutation(t *testing.T) {
	tests := []struct {
		rate, sigma float64
	}{{0, 1}, {1, 0.5}, {0.25, 2}}
	for _, tt := range tests {
		const n = 200_000
		x := make([]float64, n)
		GaussianMutation(x, tt.rate, tt.sigma, seeds.New(5, "test"))
		changed, sum, sq := 0, 0.0, 0.0
		for _, v := range x {
			if v != 0 {
				changed++
				sum += v
				sq += v * v
			}
		}
		if math.Abs(float64(changed)-tt.rate*n) > 5*math.Sqrt(n*tt.rate*(1-tt.rate))+1 {
			t.Errorf("rate %v: %d of %d genes changed", tt.rate, changed, n)
		}
		if changed == 0 {
			continue
		}
		mean, std := sum/float64(changed), math.Sqrt(sq/float64(changed))
		if math.Abs(mean) > 5*tt.sigma/math.Sqrt(float64(changed)) || math.Abs(std-tt.sigma) > 0.02*tt.sigma {
			t.Errorf("rate %v sigma %v: mutations have mean %v, std %v", tt.rate, tt.sigma, mean, std)
		}
	}
}

func TestOperatorsDoNotAllocate(t *testing.T) {
	a, b, dst := make([]float64, 17), make([]float64, 17), make([]float64, 17)
	rng := rand.New(rand.NewPCG(1, 2))
	if n := testing.AllocsPerRun(100, func() {
		UniformCrossover(dst, a, b, rng)
		ArithmeticCrossover(dst, a, b, rng)
		GaussianMutation(dst, 0.5, 1, rng)
	}); n != 0 {
		t.Errorf("%v allocations per run", n)
	}
}

func TestOperatorLengthMismatchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic on a length mismatch")
		}
	}()
	UniformCrossover(make([]float64, 2), make([]float64, 3), make([]float64, 2), seeds.New(1, "test"))
}
