// Package datatest helps test what mesa does to directories: a snapshot
// of every file under a directory (path, mode, content hash, symbolic link
// target), and a check that a snapshot's files are all still there,
// unchanged.
package datatest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// An Entry is what a snapshot records of one file.
type Entry struct {
	Mode fs.FileMode
	// SHA256 is the content's hash, for a regular file.
	SHA256 string
	// Target is where a symbolic link points.
	Target string
}

// Snapshot returns every file, directory and symbolic link under root
// (root itself excluded), by slash-separated path relative to root,
// without following symbolic links.
func Snapshot(t testing.TB, root string) map[string]Entry {
	t.Helper()
	snap := map[string]Entry{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		e := Entry{Mode: fi.Mode()}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			if e.Target, err = os.Readlink(p); err != nil {
				return err
			}
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			e.SHA256 = hex.EncodeToString(sum[:])
		}
		rel, _ := filepath.Rel(root, p)
		snap[filepath.ToSlash(rel)] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// Kept fails t, saying what did it, for every path of before that after
// lacks or holds changed.
func Kept(t testing.TB, what string, before, after map[string]Entry) {
	t.Helper()
	paths := make([]string, 0, len(before))
	for p := range before {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		got, ok := after[p]
		switch {
		case !ok:
			t.Errorf("%s removed %s", what, p)
		case got != before[p]:
			t.Errorf("%s changed %s: %+v, was %+v", what, p, got, before[p])
		}
	}
}

// SameFiles fails t for each named file that is not byte-identical in
// directories a and b (what says which runs are compared), and fatally
// when one cannot be read.
func SameFiles(t testing.TB, a, b, what string, names ...string) {
	t.Helper()
	for _, name := range names {
		x, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		y, err := os.ReadFile(filepath.Join(b, name))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s: %s differs", what, name)
		}
	}
}
