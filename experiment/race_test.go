//go:build race

package experiment

// raceEnabled reports a -race build, under which rollouts are several times
// slower: the long learning runs are skipped (the conformance suite still
// runs, with its learning check).
const raceEnabled = true
