package data

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// LockFile is the file a run directory is locked on (flock(2)).
const LockFile = "lock"

// A LockMode says how a process holds a run directory.
type LockMode int

// Lock modes. Any number of processes hold a directory shared, or one
// holds it exclusive.
const (
	// LockShared is for writers of disjoint parts of one run that run
	// concurrently: the shards of one sweep, each writing its own units.
	LockShared LockMode = iota + 1
	// LockExclusive is for the only writer of a directory: a whole run, the
	// merge of a sweep, an overwrite or a removal.
	LockExclusive
)

func (m LockMode) String() string {
	switch m {
	case LockShared:
		return "shared"
	case LockExclusive:
		return "exclusive"
	}
	return fmt.Sprintf("LockMode(%d)", int(m))
}

// A DirLock is a held lock on a run directory; Unlock releases it. The
// kernel releases it too when the process exits, however it exits: a
// process killed with SIGKILL never leaves a directory locked. It is not
// safe for concurrent use.
//
// The lock is flock(2) on dir/lock. Each holder also keeps a file
// dir/lock.<id> holding its holder text, which it flocks for as long as it
// holds the lock, so that a contender can tell live holders from the
// files of dead ones. (Linux and macOS; on Linux over NFS, flock is
// emulated with fcntl locks, which NFS servers honour across hosts.)
type DirLock struct {
	dir    string
	abs    string // dir, absolute
	mode   LockMode
	lock   *os.File // dir/lock, flocked in mode
	holder *os.File // dir/lock.<id>, flocked exclusively
	path   string   // the holder file's name
}

// A LockedError is the error of Lock on a directory that another holder
// holds in a conflicting mode.
type LockedError struct {
	Dir string
	// Holders are the holder texts of the live holders, sorted; empty if
	// none could be read (a holder between locking and naming itself).
	Holders []string
}

func (e *LockedError) Error() string {
	if len(e.Holders) == 0 {
		return fmt.Sprintf("data: %s is being written by another process (it has not named itself yet)", e.Dir)
	}
	return fmt.Sprintf("data: %s is being written by %s", e.Dir, strings.Join(e.Holders, " and by "))
}

// ProcessHolder returns this process's holder text for Lock: "pid 4242
// on host n1 (mesa sweep --shard 2/4) since 2026-11-30T10:00:00Z", with
// the command line as the process was started and the current time.
func ProcessHolder() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	args := slices.Clone(os.Args)
	if len(args) > 0 {
		args[0] = filepath.Base(args[0])
	}
	return fmt.Sprintf("pid %d on host %s (%s) since %s", os.Getpid(), host, strings.Join(args, " "),
		time.Now().UTC().Format(time.RFC3339))
}

// exclusive counts the exclusive DirLocks this process holds, by absolute
// directory, so that RemoveRun can tell its caller's lock from another
// holder's.
var exclusive = struct {
	sync.Mutex
	dirs map[string]int
}{dirs: map[string]int{}}

// Lock locks the run directory dir (created if needed) in mode for the
// holder, a one-line text that a contender's error quotes ("" means
// ProcessHolder()). It does not wait: if another holder holds dir in a
// conflicting mode, Lock fails at once with a *LockedError naming the
// live holders:
//
//	data: /runs/x is being written by pid 4242 on host n1 (mesa sweep --shard 2/4) since 2026-11-30T10:00:00Z
//
// Locks conflict between processes and between DirLocks of one process
// alike.
func Lock(dir string, mode LockMode, holder string) (*DirLock, error) {
	if mode != LockShared && mode != LockExclusive {
		return nil, fmt.Errorf("data: lock %s: unknown mode %v", dir, mode)
	}
	if holder == "" {
		holder = ProcessHolder()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("data: lock: %w", fileError{err})
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("data: lock %s: %v", dir, err)
	}
	l := &DirLock{dir: dir, abs: abs, mode: mode}
	if l.lock, err = lockFile(dir, mode); err != nil {
		return nil, err
	}
	if l.holder, l.path, err = writeHolder(dir, oneLine(holder)); err != nil {
		l.lock.Close()
		return nil, err
	}
	removeStaleHolders(dir, mode, l.path)
	if mode == LockExclusive {
		exclusive.Lock()
		exclusive.dirs[l.abs]++
		exclusive.Unlock()
	}
	return l, nil
}

// lockFile opens dir/lock and flocks it in mode without waiting. A lock
// file removed or replaced between open and flock (RemoveRun of an
// unlocked directory) is opened again, so that every holder locks the
// file the path names.
func lockFile(dir string, mode LockMode) (*os.File, error) {
	path := filepath.Join(dir, LockFile)
	for range 100 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("data: lock: %w", fileError{err})
		}
		ok, err := flock(f, mode)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("data: lock %s: flock: %v", path, err)
		}
		if !ok {
			f.Close()
			return nil, &LockedError{Dir: dir, Holders: liveHolders(dir)}
		}
		if same, err := sameFile(f, path); err != nil || same {
			if err != nil {
				f.Close()
				return nil, fmt.Errorf("data: lock: %w", fileError{err})
			}
			return f, nil
		}
		f.Close() // the path names another file now: lock that one
	}
	return nil, fmt.Errorf("data: lock %s: the lock file keeps being replaced", path)
}

func sameFile(f *os.File, path string) (bool, error) {
	a, err := f.Stat()
	if err != nil {
		return false, err
	}
	b, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(a, b), nil
}

const (
	holderPrefix = LockFile + "."
	holderTmp    = ".tmp"
)

// writeHolder writes the holder file dir/lock.<id> and returns it, flocked
// exclusively, and its path. It is written under a .tmp name and renamed
// once locked, so that a holder file is locked from the moment it has its
// name (the flock belongs to the open file, which the rename keeps).
func writeHolder(dir, holder string) (*os.File, string, error) {
	var id [8]byte
	_, _ = rand.Read(id[:]) // never fails (crypto/rand)
	path := filepath.Join(dir, holderPrefix+hex.EncodeToString(id[:]))
	f, err := os.OpenFile(path+holderTmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, "", fmt.Errorf("data: lock: %w", fileError{err})
	}
	fail := func(err error) (*os.File, string, error) {
		f.Close()
		os.Remove(path + holderTmp)
		return nil, "", err
	}
	if ok, err := flock(f, LockExclusive); err != nil || !ok {
		return fail(fmt.Errorf("data: lock %s: flock: %v", path+holderTmp, err))
	}
	if _, err := f.WriteString(holder + "\n"); err != nil {
		return fail(fmt.Errorf("data: lock: %w", fileError{err}))
	}
	if err := os.Rename(path+holderTmp, path); err != nil {
		return fail(fmt.Errorf("data: lock: %w", fileError{err}))
	}
	return f, path, nil
}

// holderFiles returns the names of the holder files in dir; with tmp, also
// those still being written.
func holderFiles(dir string, tmp bool) []string {
	es, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range es {
		n := e.Name()
		if strings.HasPrefix(n, holderPrefix) && e.Type().IsRegular() && (tmp || !strings.HasSuffix(n, holderTmp)) {
			names = append(names, n)
		}
	}
	return names
}

// liveHolders returns the texts of the holder files in dir whose holders
// are alive (they hold the file's flock), sorted.
func liveHolders(dir string) []string {
	var live []string
	for _, n := range holderFiles(dir, false) {
		f, err := os.Open(filepath.Join(dir, n))
		if err != nil {
			continue
		}
		ok, err := flock(f, LockExclusive)
		if err == nil && !ok {
			b := make([]byte, 4096)
			k, _ := f.Read(b)
			if s := oneLine(string(b[:k])); s != "" {
				live = append(live, s)
			}
		}
		f.Close() // releases the flock if this took it: a dead holder's file
	}
	slices.Sort(live)
	return live
}

// removeStaleHolders removes the holder files of dead holders from dir,
// but own. An exclusive holder knows that every other holder file is
// stale; a shared one tests each (and leaves files still being written).
func removeStaleHolders(dir string, mode LockMode, own string) {
	for _, n := range holderFiles(dir, mode == LockExclusive) {
		path := filepath.Join(dir, n)
		if path == own {
			continue
		}
		if mode == LockExclusive {
			os.Remove(path)
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		if ok, err := flock(f, LockExclusive); err == nil && ok {
			os.Remove(path)
		}
		f.Close()
	}
}

// Dir returns the locked directory.
func (l *DirLock) Dir() string { return l.dir }

// Mode returns the mode the directory is held in.
func (l *DirLock) Mode() LockMode { return l.mode }

// Unlock releases the lock and removes the holder's file. Calling it again
// returns an error.
func (l *DirLock) Unlock() error {
	if l.lock == nil {
		return fmt.Errorf("data: unlock %s: not locked", l.dir)
	}
	if l.mode == LockExclusive {
		exclusive.Lock()
		if exclusive.dirs[l.abs]--; exclusive.dirs[l.abs] <= 0 {
			delete(exclusive.dirs, l.abs)
		}
		exclusive.Unlock()
	}
	// The holder file goes first, while the lock is still held.
	err := os.Remove(l.path)
	if cerr := l.holder.Close(); err == nil {
		err = cerr
	}
	if cerr := l.lock.Close(); err == nil {
		err = cerr
	}
	l.lock, l.holder = nil, nil
	if err != nil {
		return fmt.Errorf("data: unlock: %w", fileError{err})
	}
	return nil
}

// holdsExclusive reports whether this process holds dir exclusively.
func holdsExclusive(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	exclusive.Lock()
	defer exclusive.Unlock()
	return exclusive.dirs[abs] > 0
}
