//go:build race

package traintest_test

// raceEnabled reports a -race build, under which rollouts are several times
// slower: the learning check is left to normal builds.
const raceEnabled = true
