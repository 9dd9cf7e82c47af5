package world

import (
	"fmt"
	"math"
)

// A BaseReturn is the rule that scores an episode for the base objective:
// what a base optimizer maximises, and what evaluation reports as an
// episode's base return. Its zero value is Sooner.
type BaseReturn int

const (
	// Sooner, the zero value and the default, is Minigrid's return:
	// 1 − 0.9·t/T for reaching the exit on step t of a level whose step
	// limit is T, else 0. A detour costs return, so training values
	// getting out sooner; reaching the exit on the last allowed step
	// still scores 0.1, more than not reaching it.
	Sooner BaseReturn = iota
	// Binary is 1 for reaching the exit on any step within the limit,
	// else 0: detours cost nothing.
	Binary
)

var baseReturnNames = [...]string{"sooner", "binary"}

// BaseReturnNames lists the names ParseBaseReturn accepts, in order.
func BaseReturnNames() []string { return baseReturnNames[:] }

// String returns the rule's name as used in configs ("sooner", "binary").
func (b BaseReturn) String() string {
	if b >= 0 && int(b) < len(baseReturnNames) {
		return baseReturnNames[b]
	}
	return fmt.Sprintf("BaseReturn(%d)", int(b))
}

// ParseBaseReturn returns the rule named s; "" means Sooner. The error names
// the bad value.
func ParseBaseReturn(s string) (BaseReturn, error) {
	if s == "" {
		return Sooner, nil
	}
	for i, n := range baseReturnNames {
		if n == s {
			return BaseReturn(i), nil
		}
	}
	return 0, fmt.Errorf("unknown base return %q (known: sooner, binary)", s)
}

// Validate reports a value that is not one of the constants.
func (b BaseReturn) Validate() error {
	if b < 0 || int(b) >= len(baseReturnNames) {
		return fmt.Errorf("unknown base return %d", int(b))
	}
	return nil
}

// Return is the base return of an episode that took steps steps on a level
// with step limit limit and reached the exit or not. Steps beyond the limit
// count as the limit. A rule that is not one of the constants scores NaN,
// which base optimizers report as divergence.
func (b BaseReturn) Return(reached bool, steps, limit int) float64 {
	switch b {
	case Sooner:
		if !reached {
			return 0
		}
		f := 1.0
		if limit > 0 {
			f = float64(min(max(steps, 0), limit)) / float64(limit)
		}
		return 1 - 0.9*f
	case Binary:
		if reached {
			return 1
		}
		return 0
	}
	return math.NaN()
}
