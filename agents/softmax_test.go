package agents

import (
	"math"
	"testing"

	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// TestSoftmaxSameBits: Softmax's fast path for finite entries gives the bits
// of the sequential computation, on ties, signed zeros, huge and tiny
// values and non-finite entries.
func TestSoftmaxSameBits(t *testing.T) {
	rng := seeds.New(1, "test/softmax-bits")
	pick := []float64{0, math.Copysign(0, -1), 1, -1, 1e-300, -1e300, 1e300, 700, -745, 0.5,
		math.Inf(-1), math.Inf(1), math.NaN(), math.MaxFloat64, -math.MaxFloat64}
	betas := []float64{1, 0, 0.5, 3, -1, 1e5}
	for i := range 200000 {
		var q [world.NumActions]float64
		for a := range q {
			if rng.IntN(3) == 0 {
				q[a] = pick[rng.IntN(len(pick))]
			} else {
				q[a] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(7)-3))
			}
		}
		beta := betas[i%len(betas)]
		var got, want Probs
		Softmax(&got, &q, beta)
		softmaxSequential(&want, &q, beta)
		for a := range got {
			if math.Float64bits(got[a]) != math.Float64bits(want[a]) {
				t.Fatalf("Softmax(%v, %v) = %v, sequentially %v", q, beta, got, want)
			}
		}
	}
}
