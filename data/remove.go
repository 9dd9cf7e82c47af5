package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Names in a run directory besides the tables and the manifest: a sweep's
// plan, units and merge staging directory, and what `mesa export` and
// `mesa analyze` write by default.
const (
	planFile   = "plan.json"
	unitsDir   = "units"
	mergeStage = ".merge.tmp"
	parquetOut = "parquet"
	csvOut     = "csv"
	reportDir  = "report"
)

// RemoveRun removes everything mesa derived in the run directory dir:
// table files in every state (*.arrow, *.partial.arrow, *.arrow.tmp),
// manifest.json, plan.json (and their temporary files), the directories units/,
// .merge.tmp/, parquet/, csv/ and report/, and the lock file with its
// holder files. It
// removes nothing else, and leaves dir itself. A dir that does not exist
// or is empty but for its lock is nothing to remove.
//
// It refuses, removing nothing, a directory that holds none of
// manifest.json, plan.json and units/ ("not a mesa run directory"), and a
// directory that another holder has locked (a *LockedError; see Lock). If
// this process holds dir with LockExclusive, RemoveRun removes the run and
// leaves the lock.
func RemoveRun(dir string) error {
	es, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("data: remove run: %w", fileError{err})
	}
	run, empty := false, true
	for _, e := range es {
		if n := e.Name(); n != LockFile && !strings.HasPrefix(n, holderPrefix) {
			empty = false // a directory holding only its lock is a new run's
		}
		switch e.Name() {
		case ManifestFile, planFile:
			run = run || e.Type().IsRegular()
		case unitsDir:
			run = run || e.IsDir()
		}
	}
	if empty {
		return nil
	}
	if !run {
		return fmt.Errorf("data: %s is not a mesa run directory (no %s, %s or %s/); refusing to remove it", dir, ManifestFile, planFile, unitsDir)
	}
	keepLock := false
	if f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR, 0); err == nil {
		// Held while the run goes, so that nobody locks it meanwhile.
		defer f.Close()
		ok, err := flock(f, LockExclusive)
		switch {
		case err != nil:
			return fmt.Errorf("data: remove run %s: flock: %v", f.Name(), err)
		case !ok && holdsExclusive(dir):
			keepLock = true
		case !ok:
			return &LockedError{Dir: dir, Holders: liveHolders(dir)}
		}
	}
	var errs []error
	for _, e := range es {
		name, path := e.Name(), filepath.Join(dir, e.Name())
		var err error
		switch {
		case e.IsDir() && (name == unitsDir || name == mergeStage || name == parquetOut || name == csvOut || name == reportDir):
			err = os.RemoveAll(path)
		case !e.Type().IsRegular():
		case derivedFile(name):
			err = os.Remove(path)
		case !keepLock && (name == LockFile || strings.HasPrefix(name, holderPrefix)):
			err = os.Remove(path)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("data: remove run: %w", fileError{errs[0]})
	}
	return nil
}

// derivedFile reports whether name is a file RemoveRun removes: a table
// file in any state, the manifest or the plan.
func derivedFile(name string) bool {
	switch name {
	case ManifestFile, ManifestFile + ".tmp", planFile, planFile + ".tmp":
		return true
	}
	if strings.HasPrefix(name, "."+planFile+".tmp-") {
		return true // a plan claim killed before its rename (experiment writes it so)
	}
	return strings.HasSuffix(name, ".arrow") || strings.HasSuffix(name, ".arrow.tmp")
}
