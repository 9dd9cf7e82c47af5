package data

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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
// process killed with SIGKILL never leaves a directory locked. Its methods
// may be called from several goroutines, but Unlock only once they
// return.
//
// The lock is flock(2) on dir/lock. Each holder also keeps a file
// dir/lock.<id> holding its holder text, which it flocks for as long as it
// holds the lock, so that a contender can tell live holders from the
// files of dead ones. (Linux and macOS; on Linux over NFS, flock is
// emulated with fcntl locks, which NFS servers honour across hosts.)
//
// The holder file is also the holder's journal: before it creates a
// temporary file or directory in the run directory (a plan being claimed,
// a unit being written, a merge being staged), a holder records the
// temporary's name there. A holder that dies leaves its journal, and the
// next holder removes what it lists, so that what a killed process left is
// removed by proof, never by guessing from names.
type DirLock struct {
	dir    string
	abs    string   // dir, absolute
	root   *os.Root // dir
	mode   LockMode
	lock   *os.File // dir/lock, flocked in mode
	holder *os.File // dir/lock.<id>, flocked exclusively; the journal
	path   string   // the holder file's name
	mu     sync.Mutex
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
// alike. Lock writes only its own files (lock, lock.<id>), never through
// a symbolic link; it does not check what else dir holds (see
// CheckRunDir).
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
	root, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	l := &DirLock{dir: dir, abs: abs, root: root, mode: mode}
	if l.lock, err = lockFile(root, dir, mode); err != nil {
		root.Close()
		return nil, err
	}
	if l.holder, l.path, err = writeHolder(root, oneLine(holder)); err != nil {
		l.lock.Close()
		root.Close()
		return nil, err
	}
	removeStaleHolders(root, mode == LockExclusive, l.path)
	if mode == LockExclusive {
		exclusive.Lock()
		exclusive.dirs[l.abs]++
		exclusive.Unlock()
	}
	return l, nil
}

// lockFile opens dir/lock and flocks it in mode without waiting. A lock
// file mesa creates holds lockSignature; an existing one must be a regular
// file (a symbolic link is refused), and is not written. A lock file
// removed or replaced between open and flock (RemoveRun of an unlocked
// directory) is opened again, so that every holder locks the file the
// path names.
func lockFile(root *os.Root, dir string, mode LockMode) (*os.File, error) {
	for range 100 {
		f, err := openLockFile(root)
		if err != nil {
			return nil, err
		}
		ok, err := flock(f, mode)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("data: lock %s: flock: %v", f.Name(), err)
		}
		if !ok {
			f.Close()
			return nil, &LockedError{Dir: dir, Holders: liveHolders(root)}
		}
		if same, err := sameFile(root, f, LockFile); err != nil || same {
			if err != nil {
				f.Close()
				return nil, err
			}
			return f, nil
		}
		f.Close() // the path names another file now: lock that one
	}
	return nil, fmt.Errorf("data: lock %s: the lock file keeps being replaced", pathIn(root, LockFile))
}

// openLockFile opens the lock file of root, creating it with mesa's
// signature if it does not exist.
func openLockFile(root *os.Root) (*os.File, error) {
	f, err := root.OpenFile(LockFile, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err == nil {
		if _, err := f.WriteString(lockSignature); err != nil {
			f.Close()
			return nil, fmt.Errorf("data: lock: %w", fileError{err})
		}
		return f, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, rootError(root, err)
	}
	f, err = openRegular(root, LockFile)
	if errors.Is(err, fs.ErrNotExist) {
		return openLockFile(root) // removed meanwhile
	}
	return f, err
}

func sameFile(root *os.Root, f *os.File, name string) (bool, error) {
	a, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("data: %w", fileError{err})
	}
	b, err := root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, rootError(root, err)
	}
	return os.SameFile(a, b), nil
}

const (
	holderPrefix = LockFile + "."
	holderTmp    = ".tmp"
	// journalPrefix starts each journal line of a holder file.
	journalPrefix = "temp "
)

// writeHolder writes the holder file lock.<id> in root and returns it,
// flocked exclusively, and its name: the signature line, then the holder
// text. It is written under a .tmp name and renamed once locked, so that a
// holder file is locked from the moment it has its name (the flock belongs
// to the open file, which the rename keeps).
func writeHolder(root *os.Root, holder string) (*os.File, string, error) {
	var id [8]byte
	_, _ = rand.Read(id[:]) // never fails (crypto/rand)
	name := holderPrefix + hex.EncodeToString(id[:])
	f, err := createExcl(root, name+holderTmp)
	if err != nil {
		return nil, "", err
	}
	fail := func(err error) (*os.File, string, error) {
		f.Close()
		_ = root.Remove(name + holderTmp)
		return nil, "", err
	}
	if ok, err := flock(f, LockExclusive); err != nil || !ok {
		return fail(fmt.Errorf("data: lock %s: flock: %v", f.Name(), err))
	}
	if _, err := f.WriteString(holderSignature + "\n" + holder + "\n"); err != nil {
		return fail(fmt.Errorf("data: lock: %w", fileError{err}))
	}
	if err := place(root, name+holderTmp, name); err != nil {
		return fail(err)
	}
	return f, name, nil
}

// holderFiles returns the names of the holder files in root, mesa's by
// name and content (see leftover); with tmp, also those still being
// written.
func holderFiles(root *os.Root, tmp bool) []string {
	names, err := readDirNames(root)
	if err != nil {
		return nil
	}
	var hs []string
	for _, n := range names {
		if holderName(n) && (tmp || !strings.HasSuffix(n, holderTmp)) && leftover(root, n) {
			hs = append(hs, n)
		}
	}
	return hs
}

// holderText returns the holder text of a holder file's content: the
// line after the signature (or the first line of a holder file an older
// mesa wrote).
func holderText(b []byte) string {
	lines := strings.SplitN(string(b), "\n", 3)
	if lines[0] == holderSignature && len(lines) > 1 {
		return oneLine(lines[1])
	}
	return oneLine(lines[0])
}

// liveHolders returns the texts of the holder files in root whose holders
// are alive (they hold the file's flock), sorted.
func liveHolders(root *os.Root) []string {
	var live []string
	for _, n := range holderFiles(root, false) {
		f, err := openRegular(root, n)
		if err != nil {
			continue
		}
		ok, err := flock(f, LockExclusive)
		if err == nil && !ok {
			b := make([]byte, 4096)
			k, _ := f.Read(b)
			if s := holderText(b[:k]); s != "" {
				live = append(live, s)
			}
		}
		f.Close() // releases the flock if this took it: a dead holder's file
	}
	slices.Sort(live)
	return live
}

// removeStaleHolders removes the holder files of dead holders from root,
// but own, each after the temporaries its journal lists: those whose flock
// it can take. With tmp it also removes holder files still being written,
// which only the holder of the exclusive lock knows to be stale.
func removeStaleHolders(root *os.Root, tmp bool, own string) {
	for _, n := range holderFiles(root, tmp) {
		if n == own {
			continue
		}
		f, err := openRegular(root, n)
		if err != nil {
			continue
		}
		// Held while its temporaries go, so that two cleaners never
		// race; a live holder holds it, and is left alone.
		if ok, err := flock(f, LockExclusive); err == nil && ok {
			removeJournaled(root, f)
			_ = removeRegular(root, n)
		}
		f.Close()
	}
}

// journal records, in the holder's file, a fresh name for a temporary
// that the holder is about to create in the directory sub ("" for the
// locked directory itself, or one of its subdirectories), and returns it:
// prefix and 16 random hex digits. It is synced before it returns, so that
// the temporary is listed before it exists.
func (l *DirLock) journal(sub, prefix string) (string, error) {
	var id [8]byte
	_, _ = rand.Read(id[:])
	name := prefix + hex.EncodeToString(id[:])
	rel := name
	if sub != "" {
		rel = sub + "/" + name
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.holder == nil {
		return "", fmt.Errorf("data: %s: not locked", l.dir)
	}
	_, err := l.holder.WriteString(journalPrefix + rel + "\n")
	if err == nil {
		err = l.holder.Sync()
	}
	if err != nil {
		return "", fmt.Errorf("data: lock: %w", fileError{err})
	}
	return name, nil
}

// removeJournaled removes the temporaries the journal of a dead holder
// (its holder file f) lists: files, and directories with everything in
// them, since nobody but their creator knew their random names. An entry
// that is a symbolic link, or not in the directory or one of its
// subdirectories, is left.
func removeJournaled(root *os.Root, f *os.File) {
	b, err := io.ReadAll(io.LimitReader(f, 64<<20))
	if err != nil {
		return
	}
	for _, rel := range journalEntries(b) {
		sub, name, nested := strings.Cut(rel, "/")
		if !nested {
			removeTemporary(root, rel)
			continue
		}
		if dir, err := subRoot(root, sub); err == nil {
			removeTemporary(dir, name)
			dir.Close()
		}
	}
}

// journalEntries returns the temporaries a holder file's content lists:
// paths of one name, or of a directory and a name, inside the locked
// directory; anything else is ignored.
func journalEntries(b []byte) []string {
	var rels []string
	for line := range strings.Lines(string(b)) {
		rel, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), journalPrefix)
		if !ok {
			continue
		}
		sub, name, nested := strings.Cut(rel, "/")
		if !plainName(sub) || (nested && !plainName(name)) {
			continue
		}
		rels = append(rels, rel)
	}
	return rels
}

// Dir returns the locked directory.
func (l *DirLock) Dir() string { return l.dir }

// Mode returns the mode the directory is held in.
func (l *DirLock) Mode() LockMode { return l.mode }

// Unlock releases the lock and removes the holder's file. Calling it again
// returns an error.
func (l *DirLock) Unlock() error {
	l.mu.Lock()
	defer l.mu.Unlock()
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
	err := l.root.Remove(l.path)
	if err != nil {
		err = rootError(l.root, err)
	}
	if cerr := l.holder.Close(); err == nil {
		err = cerr
	}
	if cerr := l.lock.Close(); err == nil {
		err = cerr
	}
	l.root.Close()
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
