//go:build !race

package traintest_test

const raceEnabled = false
