//go:build linux || darwin

package data_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/mesa-alignment/mesa/data"
)

// A lockChild is a child process that tried to lock a directory and, if it
// succeeded, holds the lock until release or kill.
type lockChild struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
	// first is the child's first line: "locked" or "error: " and the error.
	first string
}

// lockIn starts a child that locks dir in mode ("shared" or "exclusive")
// for holder, and waits for its answer.
func lockIn(t *testing.T, dir, mode, holder string) *lockChild {
	t.Helper()
	cmd := childCommand(t, "lock", dir, mode, holder)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &lockChild{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(func() {
		c.stdin.Close()
		_ = c.cmd.Wait()
	})
	line, err := c.out.ReadString('\n')
	if err != nil {
		t.Fatalf("lock child: %v; stderr %s", err, stderr.String())
	}
	c.first = strings.TrimSuffix(line, "\n")
	childPanicked(t, c.first+stderr.String())
	return c
}

func (c *lockChild) locked() bool { return c.first == "locked" }

// release makes the child unlock and exit.
func (c *lockChild) release(t *testing.T) {
	t.Helper()
	c.stdin.Close()
	rest, _ := io.ReadAll(c.out)
	if err := c.cmd.Wait(); err != nil || string(rest) != "unlocked\n" {
		t.Fatalf("lock child: %v, %q", err, rest)
	}
}

// kill kills the child with SIGKILL: it unlocks nothing itself.
func (c *lockChild) kill(t *testing.T) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := c.cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("lock child did not die of SIGKILL: %v", err)
	}
}

func holderText(i int) string {
	return fmt.Sprintf("pid %d on host n1 (mesa sweep --shard %d/4) since 2026-11-30T10:00:0%dZ", 4240+i, i, i)
}

// TestLockProcesses locks a directory from concurrent processes: shared
// holders admit each other and nobody else, an exclusive holder admits
// nobody; a contender fails at once with the live holders' texts, and
// succeeds once they release.
func TestLockProcesses(t *testing.T) {
	for _, tc := range []struct {
		name      string
		holders   []string
		contender string
		ok        bool
	}{
		{"exclusive vs exclusive", []string{"exclusive"}, "exclusive", false},
		{"shared vs shared", []string{"shared"}, "shared", true},
		{"exclusive vs shared", []string{"exclusive"}, "shared", false},
		{"shared vs exclusive", []string{"shared"}, "exclusive", false},
		{"two shared vs exclusive", []string{"shared", "shared"}, "exclusive", false},
		{"two shared vs shared", []string{"shared", "shared"}, "shared", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			var holders []*lockChild
			var texts []string
			for i, mode := range tc.holders {
				h := lockIn(t, dir, mode, holderText(i+1))
				if !h.locked() {
					t.Fatalf("holder %d: %s", i+1, h.first)
				}
				holders, texts = append(holders, h), append(texts, holderText(i+1))
			}
			c := lockIn(t, dir, tc.contender, holderText(9))
			if tc.ok {
				if !c.locked() {
					t.Fatalf("contender refused: %s", c.first)
				}
				c.release(t)
				return
			}
			want := "error: data: " + dir + " is being written by " + strings.Join(texts, " and by ")
			if c.first != want {
				t.Fatalf("contender: %q\nwant       %q", c.first, want)
			}
			for _, h := range holders {
				h.release(t)
			}
			if c := lockIn(t, dir, tc.contender, holderText(9)); !c.locked() {
				t.Fatalf("contender refused after the holders released: %s", c.first)
			} else {
				c.release(t)
			}
			// Released holders leave only the lock file.
			if got := dirNames(t, dir); !slices.Equal(got, []string{data.LockFile}) {
				t.Errorf("files %v after every holder released", got)
			}
		})
	}
}

// TestLockKilledHolder: a holder killed with SIGKILL releases its lock
// with its life. Its holder file stays behind until the next holder
// removes it, and is never quoted as a live holder.
func TestLockKilledHolder(t *testing.T) {
	t.Run("exclusive", func(t *testing.T) {
		dir := t.TempDir()
		h := lockIn(t, dir, "exclusive", holderText(1))
		if !h.locked() {
			t.Fatal(h.first)
		}
		h.kill(t)
		c := lockIn(t, dir, "exclusive", holderText(2))
		if !c.locked() {
			t.Fatalf("a killed holder left the directory locked: %s", c.first)
		}
		if n := len(dirNames(t, dir)); n != 2 { // lock and the new holder's file
			t.Errorf("files %v: the dead holder's file was not removed", dirNames(t, dir))
		}
		c.release(t)
	})
	t.Run("shared", func(t *testing.T) {
		dir := t.TempDir()
		a, b := lockIn(t, dir, "shared", holderText(1)), lockIn(t, dir, "shared", holderText(2))
		if !a.locked() || !b.locked() {
			t.Fatal(a.first, b.first)
		}
		a.kill(t)
		c := lockIn(t, dir, "exclusive", holderText(3))
		if want := "error: data: " + dir + " is being written by " + holderText(2); c.first != want {
			t.Fatalf("contender: %q\nwant       %q", c.first, want)
		}
		b.kill(t)
		if c := lockIn(t, dir, "exclusive", holderText(3)); !c.locked() {
			t.Fatalf("killed shared holders left the directory locked: %s", c.first)
		} else {
			c.release(t)
		}
	})
}

// TestLockInProcess: DirLocks of one process conflict as those of two do,
// and the API's edges.
func TestLockInProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "run")
	l, err := data.Lock(dir, data.LockExclusive, "first\nholder")
	if err != nil {
		t.Fatal(err)
	}
	if l.Dir() != dir || l.Mode() != data.LockExclusive {
		t.Errorf("lock of %s in %v", l.Dir(), l.Mode())
	}
	_, err = data.Lock(dir, data.LockShared, "")
	var locked *data.LockedError
	if !errors.As(err, &locked) || locked.Dir != dir || !slices.Equal(locked.Holders, []string{"first holder"}) {
		t.Fatalf("second lock: %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := l.Unlock(); err == nil {
		t.Error("second Unlock succeeded")
	}
	// "" holds as ProcessHolder().
	l, err = data.Lock(dir, data.LockShared, "")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Unlock()
	_, err = data.Lock(dir, data.LockExclusive, "x")
	re := regexp.MustCompile(`^data: .* is being written by pid \d+ on host \S+ \(\S+ .*\) since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	if err == nil || !re.MatchString(err.Error()) {
		t.Errorf("contender of a default holder: %v", err)
	}
	if _, err := data.Lock(dir, data.LockMode(7), "x"); err == nil || !strings.Contains(err.Error(), "unknown mode LockMode(7)") {
		t.Errorf("bad mode: %v", err)
	}
	if _, err := data.Lock(filepath.Join(dir, "lock", "x"), data.LockShared, "x"); err == nil {
		t.Error("locked a directory under a file")
	}
	if _, err := os.Stat(filepath.Join(dir, data.LockFile)); err != nil {
		t.Error(err)
	}
}
