//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package data

import (
	"errors"
	"os"
	"syscall"
)

// flock takes the flock(2) of f in mode without waiting. It reports false
// if another open file holds a conflicting lock.
func flock(f *os.File, mode LockMode) (bool, error) {
	how := syscall.LOCK_SH
	if mode == LockExclusive {
		how = syscall.LOCK_EX
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		}
		return false, err
	}
}
