package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// This file is the one place that removes: every file mesa removes goes
// through removeRegular or removeTemporary, and only names that a list of
// mesa's (a manifest, a plan, an output marker, a holder's journal) gives.

// RemoveRun removes the run in the directory dir by what its own files
// list, and nothing else:
//
//   - the table files its manifest lists (finished, partial, and those a
//     killed or failed writer may have left), then plan.json and
//     manifest.json;
//   - each directory in units/ (and a staging directory .merge.tmp) that
//     is itself a run of the same run id, by its own manifest, and then
//     the directory if nothing else is left in it;
//   - the outputs mesa writes beside the run (parquet/, csv/ and report/)
//     whose output marker names the same run, by the marker's list;
//   - the temporaries that dead holders of the directory's lock recorded
//     in their journals, and, unless this process holds the lock, the lock
//     and holder files.
//
// Only regular files are removed: a symbolic link is never followed nor
// removed, and a file no list names is never removed. It leaves dir
// itself. A dir that does not exist or is empty but for its lock is
// nothing to remove.
//
// It refuses, removing nothing, a directory that is not a mesa run (see
// inspect: a manifest or plan of mesa's, with a run id), and a directory
// that another holder has locked (a *LockedError; see Lock). If this
// process holds dir with LockExclusive, RemoveRun removes the run and
// leaves the lock.
func RemoveRun(dir string) error {
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("data: remove run: %w", fileError{err})
	}
	defer root.Close()
	st, err := inspect(root)
	if err != nil {
		return err
	}
	switch st.kind {
	case dirEmpty:
		return nil
	case dirOutput:
		return fmt.Errorf("data: %s holds mesa's %s of run %s, not a run; refusing to remove it as one", dir, st.output.what(), st.runID)
	case dirForeign:
		return fmt.Errorf("data: %s is not a mesa run directory (%s); refusing to remove anything from it", dir, st.why)
	}
	keepLock, tookLock := false, false
	if f, err := openRegular(root, LockFile); err == nil {
		// Held while the run goes, so that nobody locks it meanwhile.
		defer f.Close()
		ok, err := flock(f, LockExclusive)
		switch {
		case err != nil:
			return fmt.Errorf("data: remove run %s: flock: %v", f.Name(), err)
		case ok:
			tookLock = true
		case holdsExclusive(dir):
			keepLock = true
		default:
			return &LockedError{Dir: dir, Holders: liveHolders(root)}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// Dead holders' temporaries and files (a live holder, this process,
	// keeps its own).
	removeStaleHolders(root, !keepLock, "")
	err = removeRunFiles(root, st, 0)
	if tookLock && leftover(root, LockFile) {
		err = errors.Join(err, removeRegular(root, LockFile))
	}
	if err != nil {
		return fmt.Errorf("data: remove run: %w", err)
	}
	return nil
}

// maxRunDepth bounds how deep runs nest (a run's units, a unit's nothing).
const maxRunDepth = 2

// removeRunFiles removes the run that inspect found in root (st) by its
// lists, and the runs and outputs of the same run id mesa keeps in its
// subdirectories.
func removeRunFiles(root *os.Root, st *dirState, depth int) error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	if depth < maxRunDepth {
		for _, name := range []string{parquetOut, csvOut, reportDir} {
			add(removeChildOutput(root, name, st.runID))
		}
		add(removeChildRun(root, mergeStage, st.runID, depth))
		add(removeUnits(root, st.runID, depth))
	}
	if m := st.manifest; m != nil {
		for _, t := range m.Tables {
			add(removeRegular(root, t.File))
		}
		for _, f := range m.Writing {
			add(removeRegular(root, f))
		}
	}
	if leftover(root, manifestTmp) {
		add(removeRegular(root, manifestTmp))
	}
	if st.plan != nil {
		add(removeRegular(root, PlanFile))
	}
	if st.manifest != nil {
		add(removeRegular(root, ManifestFile)) // last: until now it lists what is left
	}
	syncRoot(root)
	return errors.Join(errs...)
}

// removeUnits removes, from units/ in root, every directory that is a run
// of id, then units/ itself if it is empty.
func removeUnits(root *os.Root, id string, depth int) error {
	units, err := childDir(root, unitsDir)
	if units == nil || err != nil {
		return err
	}
	defer units.Close()
	names, err := readDirNames(units)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range names {
		errs = append(errs, removeChildRun(units, n, id, depth+1))
	}
	errs = append(errs, removeEmptyDir(root, unitsDir))
	return errors.Join(errs...)
}

// removeChildRun removes the directory name in parent if it is a run of
// id, by its lists, and then the directory if nothing is left in it.
func removeChildRun(parent *os.Root, name, id string, depth int) error {
	sub, err := childDir(parent, name)
	if sub == nil || err != nil {
		return err
	}
	defer sub.Close()
	st, err := inspect(sub)
	if err != nil || st.kind != dirRun || st.runID != id {
		return err
	}
	if err := removeRunFiles(sub, st, depth); err != nil {
		return err
	}
	return removeEmptyDir(parent, name)
}

// removeChildOutput removes the output directory name in parent if its
// marker says it is mesa's output of run id (its first run), by the
// marker's list, and then the directory if nothing is left in it.
func removeChildOutput(parent *os.Root, name, id string) error {
	sub, err := childDir(parent, name)
	if sub == nil || err != nil {
		return err
	}
	defer sub.Close()
	st, err := inspect(sub)
	if err != nil || st.kind != dirOutput || st.runID != id {
		return err
	}
	lock, err := lockOutput(sub)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := removeOutputFiles(sub, st.output); err != nil {
		return err
	}
	return removeEmptyDir(parent, name)
}

// removeOutputFiles removes what an output's marker lists, then the
// marker.
func removeOutputFiles(root *os.Root, o *outputRecord) error {
	var errs []error
	for _, n := range o.Files {
		errs = append(errs, removeRegular(root, n))
	}
	for _, n := range o.Writing {
		errs = append(errs, removeRegular(root, n))
	}
	if leftover(root, markerTmp) {
		errs = append(errs, removeRegular(root, markerTmp))
	}
	errs = append(errs, removeRegular(root, OutputMarker))
	if leftover(root, LockFile) {
		errs = append(errs, removeRegular(root, LockFile)) // held by the caller
	}
	syncRoot(root)
	return errors.Join(errs...)
}

// childDir opens the directory name in parent without following a
// symbolic link; nil without an error if there is no such directory (or
// name is not one).
func childDir(parent *os.Root, name string) (*os.Root, error) {
	fi, err := parent.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, rootError(parent, err)
	}
	if !fi.IsDir() {
		return nil, nil
	}
	return subRoot(parent, name)
}

// removeEmptyDir removes the directory name in parent if it is empty, and
// leaves it, without an error, if it holds anything.
func removeEmptyDir(parent *os.Root, name string) error {
	fi, err := parent.Lstat(name)
	if err != nil || !fi.IsDir() {
		return nil
	}
	err = parent.Remove(name)
	if err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, fs.ErrExist) {
		return nil
	}
	return rootError(parent, err)
}

// removeRegular removes name from root if it is a regular file, and leaves
// anything else: a symbolic link or a directory of that name is not
// mesa's.
func removeRegular(root *os.Root, name string) error {
	fi, err := root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return rootError(root, err)
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	if err := root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return rootError(root, err)
	}
	return nil
}

// removeTemporary removes a temporary mesa created under a random name it
// journaled: a regular file, or a directory and everything in it (nobody
// else knew its name); a symbolic link is left.
func removeTemporary(root *os.Root, name string) {
	fi, err := root.Lstat(name)
	switch {
	case err != nil:
	case fi.Mode().IsRegular():
		_ = root.Remove(name)
	case fi.IsDir():
		_ = root.RemoveAll(name)
	}
}
