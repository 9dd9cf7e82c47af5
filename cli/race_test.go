//go:build race

package cli

// raceEnabled reports a -race build, under which runs are several times
// slower: the directory and corruption suites run a sample of their cases,
// and the child processes of the signal tests are too slow to be worth it.
const raceEnabled = true
