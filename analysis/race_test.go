//go:build race

package analysis_test

// raceEnabled reports a -race build, under which rollouts are several
// times slower: the statistical validations run on smaller samples.
const raceEnabled = true
