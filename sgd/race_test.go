//go:build race

package sgd

// raceEnabled shrinks the learning tests: the race detector slows
// rollouts about twentyfold.
const raceEnabled = true
