//go:build !(linux || darwin)

package data_test

// child reports that children are not supported on this system; the tests
// that start them are built for Linux and macOS only.
func child(mode string, _ []string) int {
	childf("child error: mode %s is not supported on this system", mode)
	return 3
}
