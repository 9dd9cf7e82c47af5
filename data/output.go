package data

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Kinds of output, as an output marker's format names them.
const (
	OutputReport = "mesa-report" // mesa analyze: report.md and figures
	OutputExport = "mesa-export" // mesa export: Parquet or CSV tables
)

// An outputRecord is what an output marker holds.
type outputRecord struct {
	Format string `json:"format"` // OutputReport or OutputExport
	// Runs are the ids of the runs the output is of; it belongs to the
	// first.
	Runs []string `json:"runs"`
	// Files are the output's files, in the directory of the marker.
	Files []string `json:"files"`
	// Writing lists, while an output is being written, the files it is
	// writing and their temporaries: mesa's, should the writer die.
	Writing    []string `json:"writing,omitempty"`
	SelfSHA256 string   `json:"self_sha256,omitempty"`
}

func (o *outputRecord) setSeal(s string) { o.SelfSHA256 = s }

func (o *outputRecord) known() bool { return o.Format == OutputReport || o.Format == OutputExport }

// what names the kind of output: "report" or "export".
func (o *outputRecord) what() string { return whatOutput(o.Format) }

func whatOutput(kind string) string { return strings.TrimPrefix(kind, "mesa-") }

func readOutputRecord(root *os.Root) (*outputRecord, error) {
	path := pathIn(root, OutputMarker)
	b, err := readRegular(root, OutputMarker, 64<<20)
	if err != nil {
		return nil, err
	}
	var o outputRecord
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&o); err != nil {
		return nil, fmt.Errorf("data: %s: not a mesa output marker (corrupt?): %s", path, oneLine(err.Error()))
	}
	if !o.known() {
		return nil, fmt.Errorf("data: %s: format %q, want %q or %q", path, o.Format, OutputReport, OutputExport)
	}
	if len(o.Runs) == 0 || o.Runs[0] == "" {
		return nil, fmt.Errorf("data: %s: names no run", path)
	}
	for _, n := range slices.Concat(o.Files, o.Writing) {
		if !plainName(n) || n == OutputMarker {
			return nil, fmt.Errorf("data: %s: lists %q, which is not a file of the directory", path, n)
		}
	}
	if err := checkSeal(b, o.SelfSHA256); err != nil {
		return nil, fmt.Errorf("data: %s: %v", path, err)
	}
	return &o, nil
}

// An Output writes mesa's derived output of some runs (a report, an
// export) into a directory of its own, marked as mesa's by the file
// mesa-output.json: its kind, its runs, and the files it holds. A later
// output of the same kind for the same first run replaces it, removing
// only the files the marker lists; anything else in the directory is the
// user's and stays. Files are written under temporary names the marker
// declares first, and get their names only in Commit, so that a failure
// (a full disk) leaves the earlier output whole and no empty or partial
// file under an output's name.
//
// An Output holds an exclusive flock on its directory until Close:
// concurrent writers of one directory never mix their files (the second
// fails at once). Its methods are not safe for concurrent use.
type Output struct {
	dir     string
	root    *os.Root
	lock    *os.File // the directory, flocked
	rec     outputRecord
	prev    outputRecord    // the earlier output's marker
	old     map[string]bool // files and temporaries of the earlier output
	names   []string        // declared by Begin, in order
	written map[string]bool
	done    bool
	// fresh says the directory held no output before: a failed output
	// leaves no marker there. made says this Output made the directory
	// (parent and name): a failed output removes it.
	fresh  bool
	parent *os.Root
	made   string
}

// OpenOutput opens dir (created if needed; symbolic links in dir itself
// are followed: the caller named it) for an output of kind (OutputReport
// or OutputExport) of runs, the first of which it belongs to. dir must be
// empty or hold mesa's output of the same kind and first run; anything
// else (a directory with other files, another run's output, a run) is
// refused, and nothing is written.
func OpenOutput(dir, kind string, runs []string) (*Output, error) {
	dir = filepath.Clean(dir)
	if _, err := os.Lstat(dir); err != nil {
		// A new directory: made in its parent, so that a failed output
		// can take it back.
		parent := filepath.Dir(dir)
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return nil, fmt.Errorf("data: %w", fileError{err})
		}
		return OpenOutputIn(parent, filepath.Base(dir), kind, runs)
	}
	root, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	return openOutput(root, nil, "", dir, kind, runs)
}

// OpenOutputIn opens the directory name in parent (created if needed) as
// OpenOutput opens a directory, refusing a name that is a symbolic link or
// not a directory: the place of the outputs mesa writes into a run
// directory by default (its report/, parquet/ and csv/).
func OpenOutputIn(parent, name, kind string, runs []string) (*Output, error) {
	if !plainName(name) {
		return nil, fmt.Errorf("data: output %q: not a plain name", name)
	}
	proot, err := openDir(parent)
	if err != nil {
		return nil, err
	}
	made := ""
	if err := proot.Mkdir(name, 0o755); err == nil {
		made = name
	} else if !errors.Is(err, fs.ErrExist) {
		proot.Close()
		return nil, rootError(proot, err)
	}
	root, err := subRoot(proot, name)
	if err != nil {
		proot.Close()
		return nil, err
	}
	return openOutput(root, proot, made, pathIn(proot, name), kind, runs)
}

// openOutput takes root (and parent, which it closes) over.
func openOutput(root, parent *os.Root, made, dir, kind string, runs []string) (*Output, error) {
	fail := func(err error) (*Output, error) {
		root.Close()
		if parent != nil {
			if made != "" {
				_ = removeEmptyDir(parent, made)
			}
			parent.Close()
		}
		return nil, err
	}
	if kind != OutputReport && kind != OutputExport {
		return fail(fmt.Errorf("data: output %s: unknown kind %q", dir, kind))
	}
	if len(runs) == 0 || runs[0] == "" {
		return fail(fmt.Errorf("data: output %s: no run", dir))
	}
	// Checked before anything is written, and again under the lock.
	err := settled(root, func(st *dirState) error { return admitOutput(st, dir, kind, runs[0]) })
	var locked *LockedError
	if errors.As(err, &locked) {
		err = fmt.Errorf("data: %s is being written by another mesa process", dir)
	}
	if err != nil {
		return fail(err)
	}
	lock, err := lockOutput(root)
	if err != nil {
		return fail(err)
	}
	o := &Output{dir: dir, root: root, lock: lock, old: map[string]bool{}, written: map[string]bool{},
		rec: outputRecord{Format: kind, Runs: slices.Clone(runs)}, parent: parent, made: made}
	st, err := inspect(root)
	if err == nil {
		err = admitOutput(st, dir, kind, runs[0])
	}
	if err != nil {
		o.Close()
		return nil, err
	}
	if st.kind == dirEmpty {
		o.fresh = true
	} else {
		o.rec.Files = st.output.Files
		o.rec.Writing = st.output.Writing
		o.prev = *st.output
		for _, n := range slices.Concat(st.output.Files, st.output.Writing) {
			o.old[n] = true
		}
	}
	return o, nil
}

// admitOutput checks that a directory in state st may receive an output
// of kind for the run first: it is empty, or holds an output of the same
// kind and first run.
func admitOutput(st *dirState, dir, kind, first string) error {
	switch st.kind {
	case dirEmpty:
		return nil
	case dirOutput:
		if st.output.Format != kind || st.runID != first {
			return fmt.Errorf("data: %s holds mesa's %s of run %s; refusing to replace it with the %s of run %s: give another directory, or remove it",
				dir, st.output.what(), st.runID, whatOutput(kind), first)
		}
		return nil
	case dirRun:
		return fmt.Errorf("data: %s is a run directory (run %s); refusing to write a %s into it: give a directory of its own", dir, st.runID, whatOutput(kind))
	}
	return fmt.Errorf("data: %s is not empty and not mesa's output (%s); refusing to write into it: give a new or empty directory", dir, st.why)
}

// lockOutput takes the lock of the output directory of root without
// waiting: an exclusive flock of its lock file, which it makes (with
// mesa's signature) if there is none. (A flock of the directory itself
// would make no file, but NFS cannot lock a directory.)
func lockOutput(root *os.Root) (*os.File, error) {
	f, err := lockFile(root, root.Name(), LockExclusive)
	var locked *LockedError
	if errors.As(err, &locked) {
		return nil, fmt.Errorf("data: %s is being written by another mesa process", root.Name())
	}
	return f, err
}

// Dir returns the output's directory.
func (o *Output) Dir() string { return o.dir }

func tempName(name string) string { return "." + name + ".tmp" }

// Begin declares the files the output will hold, in order: plain names
// that do not start with a dot. Each must be free in the directory or a
// file of the earlier output; the marker lists them before any is
// written.
func (o *Output) Begin(names ...string) error {
	if o.names != nil || o.done {
		return fmt.Errorf("data: output %s: Begin called twice", o.dir)
	}
	for _, n := range names {
		if !plainName(n) || strings.HasPrefix(n, ".") || n == OutputMarker || n == markerTmp || slices.Contains(o.names, n) {
			return fmt.Errorf("data: output %s: bad or repeated file name %q", o.dir, n)
		}
		for _, f := range []string{n, tempName(n)} {
			if err := replaceable(o.root, f, o.old[f]); err != nil {
				return err
			}
		}
		o.names = append(o.names, n)
	}
	if o.names == nil {
		o.names = []string{}
	}
	for _, n := range o.names {
		o.rec.Writing = append(o.rec.Writing, n, tempName(n))
	}
	o.rec.Writing = uniq(o.rec.Writing)
	if o.rec.Files == nil {
		o.rec.Files = []string{}
	}
	return writeSealed(o.root, OutputMarker, &o.rec)
}

func uniq(s []string) []string {
	var out []string
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// WriteFile writes the declared file name: fill writes its content, which
// is buffered, synced and closed under the temporary name. On error the
// temporary is removed.
func (o *Output) WriteFile(name string, fill func(w io.Writer) error) (err error) {
	if !slices.Contains(o.names, name) || o.done {
		return fmt.Errorf("data: output %s: %q was not declared by Begin", o.dir, name)
	}
	tmp := tempName(name)
	f, err := createTemp(o.root, tmp)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			_ = removeRegular(o.root, tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := fill(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("data: %w", fileError{err})
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("data: %w", fileError{err})
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("data: %w", fileError{err})
	}
	o.written[name] = true
	return nil
}

// Commit gives every declared file its name (each must have been
// written), removes the earlier output's files the new one does not hold,
// and writes the marker listing the output's files. It returns their
// paths, in Begin's order.
func (o *Output) Commit() ([]string, error) {
	if o.names == nil || o.done {
		return nil, fmt.Errorf("data: output %s: Commit without Begin", o.dir)
	}
	for _, n := range o.names {
		if !o.written[n] {
			return nil, fmt.Errorf("data: output %s: %s was declared but not written", o.dir, n)
		}
	}
	var paths []string
	for _, n := range o.names {
		if err := rename(o.root, tempName(n), n, o.old[n]); err != nil {
			return nil, err
		}
		paths = append(paths, pathIn(o.root, n))
	}
	o.done = true
	var errs []error
	for n := range o.old {
		if !slices.Contains(o.names, n) {
			errs = append(errs, removeRegular(o.root, n))
		}
	}
	o.rec.Files, o.rec.Writing = o.names, nil
	errs = append(errs, writeSealed(o.root, OutputMarker, &o.rec))
	for _, err := range errs {
		if err != nil {
			return paths, err
		}
	}
	return paths, nil
}

// Close releases the directory. Without a Commit it first removes the
// temporaries written: the earlier output stays as it was, and where there
// was none, nothing is left (not the marker, not a directory Open made).
func (o *Output) Close() error {
	if o.root == nil {
		return nil
	}
	if !o.done {
		for n := range o.written {
			_ = removeRegular(o.root, tempName(n))
		}
		switch {
		case o.fresh:
			_ = removeRegular(o.root, OutputMarker)
			if leftover(o.root, LockFile) {
				_ = removeRegular(o.root, LockFile) // held: nobody else has it
			}
		case o.names != nil:
			_ = writeSealed(o.root, OutputMarker, &o.prev) // as it was
		}
	}
	o.lock.Close()
	err := o.root.Close()
	o.root = nil
	if o.parent != nil {
		if !o.done && o.made != "" {
			_ = removeEmptyDir(o.parent, o.made)
		}
		o.parent.Close()
	}
	return err
}
