//go:build race

package main

// raceEnabled reports a -race build, under which the child processes of
// the signal tests are too slow to be worth it.
const raceEnabled = true
