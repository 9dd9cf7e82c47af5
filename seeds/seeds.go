// Package seeds derives every random stream in mesa from one root seed.
//
// A stream is named by a purpose ("level", "mutation", "rollout", …) and a
// path of indices (generation, individual, episode, …). Deriving instead of
// sharing a generator is what makes results independent of scheduling: a
// worker that evaluates individual 17 of generation 3 draws exactly the same
// numbers whichever goroutine runs it, so the same seed gives the same bytes
// for any number of workers.
package seeds

import (
	"math/rand/v2"
)

// Derive returns the seed of the stream (root, purpose, path...). It is a pure
// function: equal arguments give equal seeds, and distinct arguments give
// seeds that are, for all practical purposes, independent (each input word is
// absorbed through a SplitMix64 finaliser).
func Derive(root uint64, purpose string, path ...uint64) uint64 {
	return Of(root, purpose).Derive(path...)
}

// New returns a generator over the PCG stream (root, purpose, path...).
// The generator is not safe for concurrent use; derive one per goroutine.
func New(root uint64, purpose string, path ...uint64) *rand.Rand {
	return Of(root, purpose).New(path...)
}

// PCG returns the PCG source of the stream (root, purpose, path...), for
// callers that keep the source by value to avoid an allocation.
func PCG(root uint64, purpose string, path ...uint64) rand.PCG {
	return Of(root, purpose).PCG(path...)
}

// Streams are the streams (root, purpose, ...) of one root and purpose,
// with the purpose absorbed once: code that derives a stream per episode
// makes its Streams outside the loop. The zero value is not one; use
// Of.
type Streams struct{ h uint64 }

// Of returns the streams (root, purpose, ...).
func Of(root uint64, purpose string) Streams {
	h := mix(root ^ 0x6a09e667f3bcc908)
	for i := 0; i < len(purpose); i++ {
		h = mix(h ^ uint64(purpose[i]))
	}
	// Separate the purpose from the path so that ("ab", 1) and ("a", 'b', 1)
	// cannot collide.
	return Streams{mix(h ^ 0xbb67ae8584caa73b ^ uint64(len(purpose)))}
}

// Derive returns the seed of the stream (root, purpose, path...), as the
// function Derive does.
func (f Streams) Derive(path ...uint64) uint64 {
	h := f.h
	for _, p := range path {
		h = mix(h ^ p)
	}
	return mix(h ^ uint64(len(path)))
}

// New returns a generator over the PCG stream (root, purpose, path...), as
// the function New does.
func (f Streams) New(path ...uint64) *rand.Rand {
	pcg := f.PCG(path...)
	return rand.New(&pcg)
}

// PCG returns the PCG source of the stream (root, purpose, path...), as
// the function PCG does.
func (f Streams) PCG(path ...uint64) rand.PCG {
	s := f.Derive(path...)
	return *rand.NewPCG(s, mix(s^0x3c6ef372fe94f82b))
}

// mix is the SplitMix64 finaliser (Steele, Lea & Flood 2014).
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
