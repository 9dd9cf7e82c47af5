package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// CheckRunDir checks that a run may be written into dir, writing nothing:
// dir does not exist, is empty (but for what mesa leaves before a run
// exists: its lock files), or holds a mesa run (its manifest or plan).
// Any other directory is refused with an error saying what in it is not
// mesa's, whatever the caller means to do there: mesa never writes into
// nor removes from a directory it cannot prove is its own.
func CheckRunDir(dir string) error {
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("data: %w", fileError{err})
	}
	defer root.Close()
	return settled(root, func(st *dirState) error {
		if st.kind == dirEmpty || st.kind == dirRun {
			return nil
		}
		return refusal(dir, st)
	})
}

// settled applies check to what inspect finds in root. A directory that
// a mesa process is writing meanwhile can look foreign for a moment (a
// manifest renamed while it is read): a refusal then is a *LockedError if
// the directory's lock is held, and is checked again once otherwise.
// Nothing is written.
func settled(root *os.Root, check func(*dirState) error) error {
	for try := 0; ; try++ {
		st, err := inspect(root)
		if err == nil {
			err = check(st)
		}
		if err == nil {
			return nil
		}
		if busy(root) {
			return &LockedError{Dir: root.Name(), Holders: liveHolders(root)}
		}
		if try == 1 {
			return err
		}
	}
}

// busy reports whether the lock file of root, if it has one, is held: by
// taking its flock and letting it go, which writes nothing.
func busy(root *os.Root) bool {
	f, err := openRegular(root, LockFile)
	if err != nil {
		return false
	}
	defer f.Close()
	ok, err := flock(f, LockExclusive)
	return err == nil && !ok
}

// A staged writer writes into a temporary directory of the locked run
// directory, recorded in the holder's journal: a unit's, or a merge's.
type staged struct {
	lock  *DirLock
	sub   string // "" or unitsDir: where tmp is
	tmp   string
	final string // a unit's name under units/
}

// UnitsDir is the directory of a run directory's units.
const UnitsDir = unitsDir

// CreateUnit starts writing a unit of the run in the locked directory: a
// run of its own (info, opts as for Create) in a fresh temporary
// directory under units/, recorded in this holder's journal. CommitUnit
// gives it the name units/<name> once it is closed; Discard removes it.
// Should the process die, the next holder of the lock removes it.
func (l *DirLock) CreateUnit(name string, info RunInfo, opts Options) (*Writer, error) {
	if !plainName(name) || strings.HasPrefix(name, ".") {
		return nil, fmt.Errorf("data: unit %q: not a plain name", name)
	}
	units, err := mkdirIn(l.root, unitsDir)
	if err != nil {
		return nil, err
	}
	defer units.Close()
	return l.createStaged(units, unitsDir, ".tmp-"+name+"-", name, info, opts)
}

// CreateMerge starts writing the merged tables of the run in the locked
// directory into a fresh temporary directory, recorded in this holder's
// journal; Publish moves them into place, Discard removes them.
func (l *DirLock) CreateMerge(info RunInfo, opts Options) (*Writer, error) {
	return l.createStaged(l.root, "", ".merge-", "", info, opts)
}

func (l *DirLock) createStaged(parent *os.Root, sub, prefix, final string, info RunInfo, opts Options) (*Writer, error) {
	if err := checkCreate(&info, &opts); err != nil {
		return nil, err
	}
	tmp, err := l.journal(sub, prefix)
	if err != nil {
		return nil, err
	}
	if err := parent.Mkdir(tmp, 0o755); err != nil {
		return nil, rootError(parent, err)
	}
	root, err := subRoot(parent, tmp)
	if err != nil {
		return nil, err
	}
	w, err := newWriter(root, info, opts)
	if err != nil {
		removeTemporary(parent, tmp)
		return nil, err
	}
	w.staged = &staged{lock: l, sub: sub, tmp: tmp, final: final}
	return w, nil
}

// stagedParent opens the directory a staged writer's directory is in.
func (s *staged) parent() (*os.Root, error) {
	if s.sub == "" {
		return s.lock.root.OpenRoot(".")
	}
	return subRoot(s.lock.root, s.sub)
}

// Discard ends a writer from CreateUnit or CreateMerge that is not to be
// kept: unless closed, it is aborted with cause, and its directory is
// removed.
func (l *DirLock) Discard(w *Writer, cause error) {
	if w == nil || w.staged == nil {
		return
	}
	w.mu.Lock()
	done := w.done
	w.mu.Unlock()
	if !done {
		_ = w.Abort(cause)
	}
	if p, err := w.staged.parent(); err == nil {
		removeTemporary(p, w.staged.tmp)
		p.Close()
	}
}

// CommitUnit gives the unit that w wrote (from CreateUnit, closed) its
// name under units/. A unit already there of the same run (incomplete or
// corrupt, or it would not be rewritten) is removed first, by its
// manifest; one of another run, or anything else that is not mesa's, is
// refused.
func (l *DirLock) CommitUnit(w *Writer) error {
	s := w.staged
	if s == nil || s.final == "" || s.lock != l {
		return fmt.Errorf("data: commit unit: the writer of %s is not a unit of %s", w.dir, l.dir)
	}
	if err := w.closed(); err != nil {
		return err
	}
	units, err := subRoot(l.root, unitsDir)
	if err != nil {
		return err
	}
	defer units.Close()
	if err := clearUnit(units, s.final, w.info.RunID); err != nil {
		return err
	}
	if err := units.Rename(s.tmp, s.final); err != nil {
		return rootError(units, err)
	}
	syncRoot(units)
	return nil
}

// clearUnit makes room for the unit name of run id in units: nothing
// there, or a unit of the same run, which it removes.
func clearUnit(units *os.Root, name, id string) error {
	fi, err := units.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return rootError(units, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("data: %s is %s, not a unit of run %s; refusing to replace it", pathIn(units, name), kindOf(fi), id)
	}
	sub, err := subRoot(units, name)
	if err != nil {
		return err
	}
	defer sub.Close()
	st, err := inspect(sub)
	if err != nil {
		return err
	}
	switch {
	case st.kind == dirRun && st.runID == id:
		if err := removeRunFiles(sub, st, maxRunDepth); err != nil {
			return err
		}
	case st.kind == dirRun:
		return fmt.Errorf("data: %s holds a unit of run %s, not of run %s; refusing to replace it: remove it, or use another directory", pathIn(units, name), st.runID, id)
	case st.kind != dirEmpty:
		return fmt.Errorf("data: %s is not a unit of run %s (%s); refusing to replace it", pathIn(units, name), id, st.why)
	}
	if err := units.Remove(name); err != nil {
		return fmt.Errorf("data: %s holds files that are not mesa's; refusing to replace it: %w", pathIn(units, name), fileError{err})
	}
	return nil
}

// Publish moves the tables that w (from CreateMerge, closed) wrote into
// the locked directory, replacing an earlier version of the same run's
// tables. A kill at any moment leaves a manifest that lists every table
// file there (the old, the new, or both) and never a complete manifest
// over other tables: first a partial manifest listing both, then the
// tables, then the complete manifest, then the old tables that the new
// run does not have go. Hook, if not nil, is called after each of those
// steps with its name ("publish-manifest-partial",
// "publish-table-moved", "publish-manifest-moved"), for the tests that
// kill a process there.
func (l *DirLock) Publish(w *Writer, hook func(moment string)) error {
	s := w.staged
	if s == nil || s.final != "" || s.lock != l {
		return fmt.Errorf("data: publish: the writer of %s is not a merge of %s", w.dir, l.dir)
	}
	if err := w.closed(); err != nil {
		return err
	}
	if hook == nil {
		hook = func(string) {}
	}
	stage, err := subRoot(l.root, s.tmp)
	if err != nil {
		return err
	}
	m, err := readManifestIn(stage)
	stage.Close()
	if err != nil {
		return err
	}
	old := map[string]bool{}
	cur, err := readManifestIn(l.root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("%w; remove it to merge again", err)
	case cur.RunID != m.RunID:
		return fmt.Errorf("data: %s holds run %s, not %s; refusing to replace it", l.dir, cur.RunID, m.RunID)
	default:
		for _, t := range cur.Tables {
			old[t.File] = true
		}
		for _, f := range cur.Writing {
			old[f] = true
		}
	}
	tm := *m
	tm.Status, tm.Error, tm.Tables = StatusPartial, "being published: not merged yet", []TableFile{}
	tm.Writing = nil
	for f := range old {
		tm.Writing = append(tm.Writing, f)
	}
	for _, t := range m.Tables {
		tm.Writing = append(tm.Writing, t.File)
	}
	slices.Sort(tm.Writing)
	tm.Writing = slices.Compact(tm.Writing)
	if err := writeSealed(l.root, ManifestFile, &tm); err != nil {
		return err
	}
	hook("publish-manifest-partial")
	for i, t := range m.Tables {
		if err := rename(l.root, s.tmp+"/"+t.File, t.File, old[t.File]); err != nil {
			return err
		}
		if i == 0 {
			hook("publish-table-moved")
		}
	}
	syncRoot(l.root)
	if err := rename(l.root, s.tmp+"/"+ManifestFile, ManifestFile, true); err != nil {
		return err
	}
	syncRoot(l.root)
	hook("publish-manifest-moved")
	var errs []error
	for f := range old {
		if !slices.ContainsFunc(m.Tables, func(t TableFile) bool { return t.File == f }) {
			errs = append(errs, removeRegular(l.root, f))
		}
	}
	removeTemporary(l.root, s.tmp)
	syncRoot(l.root)
	return errors.Join(errs...)
}

// RemoveUnits removes the units of run id from the locked directory's
// units/ (each by its manifest; see RemoveRun), and units/ if nothing else
// is left in it. The caller holds the directory exclusively.
func (l *DirLock) RemoveUnits(id string) error {
	if l.mode != LockExclusive {
		return fmt.Errorf("data: remove units of %s: the directory is not held exclusively", l.dir)
	}
	return removeUnits(l.root, id, 0)
}
