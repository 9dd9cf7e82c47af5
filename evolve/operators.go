package evolve

import "fmt"

// Rand is the randomness the genetic operators draw from. Both
// *math/rand.Rand (what eaopt hands to genomes) and *math/rand/v2.Rand
// satisfy it, so the operators work inside eaopt and outside it alike.
type Rand interface {
	Float64() float64
	NormFloat64() float64
}

// UniformCrossover writes into dst a child of a and b that takes each gene
// from a or from b with probability 1/2. dst may alias a or b; the three
// slices must have the same length.
func UniformCrossover(dst, a, b []float64, rng Rand) {
	checkLen("UniformCrossover", dst, a, b)
	for i := range dst {
		if rng.Float64() < 0.5 {
			dst[i] = a[i]
		} else {
			dst[i] = b[i]
		}
	}
}

// ArithmeticCrossover writes into dst the child w·a + (1−w)·b, with one
// weight w drawn uniformly from [0, 1) for the whole child (whole arithmetic
// crossover: the child lies on the segment between its parents). dst may
// alias a or b; the three slices must have the same length.
func ArithmeticCrossover(dst, a, b []float64, rng Rand) {
	checkLen("ArithmeticCrossover", dst, a, b)
	w := rng.Float64()
	for i := range dst {
		dst[i] = w*a[i] + (1-w)*b[i]
	}
}

// GaussianMutation adds N(0, sigma²) noise to each gene of x, in place, with
// probability rate per gene. It draws one uniform number per gene, and one
// normal number per mutated gene.
func GaussianMutation(x []float64, rate, sigma float64, rng Rand) {
	for i := range x {
		if rng.Float64() < rate {
			x[i] += sigma * rng.NormFloat64()
		}
	}
}

// checkLen panics on a length mismatch: a programming error, like a
// mismatch in gonum's floats.Add, never a consequence of user input.
func checkLen(op string, dst, a, b []float64) {
	if len(a) != len(dst) || len(b) != len(dst) {
		panic(fmt.Sprintf("evolve: %s: lengths %d, %d, %d differ", op, len(dst), len(a), len(b)))
	}
}
