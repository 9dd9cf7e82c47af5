//go:build race

package main

// raceEnabled reports a -race build, under which runs are several times
// slower: the directory and corruption suites run a sample of their cases.
const raceEnabled = true
