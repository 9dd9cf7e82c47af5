//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package data

import (
	"errors"
	"os"
)

// flock is not available here: Lock fails.
func flock(*os.File, LockMode) (bool, error) {
	return false, errors.New("flock(2) is not supported on this system")
}
