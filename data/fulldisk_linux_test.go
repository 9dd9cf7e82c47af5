package data_test

import (
	"os/exec"
	"strconv"
	"syscall"
)

func init() {
	mountTmpfs = func(dir string, size int) error {
		return syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.Itoa(size))
	}
	// The mount lives and dies with the child's namespace: nothing to
	// unmount, even if the child is killed. (os/exec makes the new
	// namespace's mounts private, so the host never sees it.)
	newMountNamespace = func(cmd *exec.Cmd) {
		cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	}
}
