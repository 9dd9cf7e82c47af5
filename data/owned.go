package data

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mesa-alignment/mesa/names"
)

// What in a directory is mesa's. mesa writes and removes only what it can
// prove it wrote: a directory is a run when it holds mesa's manifest or
// plan (format and run id, see inspect), an output (a report or an export)
// when it holds mesa's output marker, and within either only the files
// their lists name are mesa's. Everything else is the user's: never
// modified, never removed, never written through (symbolic links are not
// followed inside mesa's directories).

// Names in a run directory besides the tables and the manifest.
const (
	// PlanFile is the name of a run directory's plan (see RunPlan).
	PlanFile = names.PlanFile
	// OutputMarker is the file that makes a directory mesa's output: a
	// report (mesa analyze) or an export (mesa export). See Output.
	OutputMarker = "mesa-output.json"

	unitsDir   = names.UnitsDir
	mergeStage = ".merge.tmp" // the merge's staging directory before journals (read, never written)
	parquetOut = "parquet"
	csvOut     = "csv"
	reportDir  = names.ReportDir
	// manifestTmp and markerTmp are the temporary names the manifest and
	// the output marker are written under before their rename.
	manifestTmp = ManifestFile + ".tmp"
	markerTmp   = OutputMarker + ".tmp"
)

// Signatures that prove lock files mesa's.
const (
	lockSignature   = "mesa run directory lock\n"
	holderSignature = "mesa lock holder"
)

// A dirKind is what a directory is to mesa.
type dirKind int

const (
	// dirEmpty holds nothing, or only what mesa leaves behind without a
	// run: its lock files, or a manifest or marker killed before its
	// rename.
	dirEmpty  dirKind = iota
	dirRun            // a mesa run: its manifest, its plan, or both
	dirOutput         // a mesa report or export: its marker
	dirForeign
)

// A dirState is what inspect found.
type dirState struct {
	kind     dirKind
	runID    string        // of a run; of an output, its first run
	manifest *Manifest     // nil if none
	plan     *RunPlan      // nil if none
	output   *outputRecord // nil unless dirOutput
	// why says, for dirForeign, what in the directory is not mesa's.
	why string
}

// inspect says what the directory of root is to mesa. It is the one place
// that decides whether mesa may write into a directory or remove from it:
// a run (a manifest of mesa's, a plan of mesa's, or both naming the same
// run), an output (mesa's output marker), empty (nothing but mesa's own
// leftovers), or foreign (anything else, which mesa refuses to touch).
// Symbolic links are never followed: a manifest, plan or marker that is a
// link makes the directory foreign.
func inspect(root *os.Root) (*dirState, error) {
	names, err := readDirNames(root)
	if err != nil {
		return nil, err
	}
	st := &dirState{kind: dirEmpty}
	if len(names) == 0 {
		return st, nil
	}
	foreign := func(format string, args ...any) (*dirState, error) {
		return &dirState{kind: dirForeign, why: strings.TrimPrefix(fmt.Sprintf(format, args...), "data: ")}, nil
	}
	has := func(n string) bool { return slices.Contains(names, n) }
	if has(ManifestFile) {
		m, err := readManifestIn(root)
		if err != nil {
			return foreign("%v", err)
		}
		st.kind, st.runID, st.manifest = dirRun, m.RunID, m
	}
	if has(PlanFile) {
		p, err := readPlanIn(root)
		if err != nil {
			return foreign("%v", err)
		}
		if st.manifest != nil && p.RunID != st.runID {
			return foreign("%s is of run %s, %s of run %s", pathIn(root, ManifestFile), st.runID, pathIn(root, PlanFile), p.RunID)
		}
		st.kind, st.runID, st.plan = dirRun, p.RunID, p
	}
	if has(OutputMarker) {
		if st.kind == dirRun {
			return foreign("it holds both a run and %s", OutputMarker)
		}
		o, err := readOutputRecord(root)
		if err != nil {
			return foreign("%v", err)
		}
		st.kind, st.runID, st.output = dirOutput, o.Runs[0], o
	}
	if st.kind != dirEmpty {
		return st, nil
	}
	var other []string
	temps := journaled(root)
	for _, n := range names {
		if !leftover(root, n) && !temps.covers(root, n) && exists(root, n) {
			other = append(other, n) // (a file of a mesa process at work may be gone already)
		}
	}
	if len(other) == 0 {
		return st, nil
	}
	return foreign("it holds %s, which %s not mesa's", brief(other), map[bool]string{true: "is", false: "are"}[len(other) == 1])
}

// leftover reports whether name in root is one of the files mesa leaves in
// a directory before it holds a run or an output: the lock and holder
// files (regular files of those exact names, empty or with mesa's
// signature), or a manifest or output marker killed before its rename
// (regular, empty or a valid sealed file of mesa's).
func leftover(root *os.Root, name string) bool {
	switch {
	case name == LockFile:
		return regularWith(root, name, func(b []byte) bool { return string(b) == lockSignature })
	case holderName(name):
		return regularWith(root, name, func(b []byte) bool { return bytes.HasPrefix(b, []byte(holderSignature+"\n")) })
	case name == manifestTmp:
		return regularWith(root, name, func(b []byte) bool {
			var m Manifest
			return json.Unmarshal(b, &m) == nil && m.Format == ManifestFormat && checkSeal(b, m.SelfSHA256) == nil
		})
	case name == markerTmp:
		return regularWith(root, name, func(b []byte) bool {
			var o outputRecord
			return json.Unmarshal(b, &o) == nil && o.known() && checkSeal(b, o.SelfSHA256) == nil
		})
	}
	return false
}

// journalSet holds the temporaries the holder files of a directory list,
// by path relative to it.
type journalSet map[string]bool

// journaled returns the temporaries the holder files in root list: the
// leftovers of holders that died, which the next holder removes.
func journaled(root *os.Root) journalSet {
	set := journalSet{}
	for _, n := range holderFiles(root, true) {
		b, err := readRegular(root, n, 64<<20)
		if err != nil {
			continue
		}
		for _, rel := range journalEntries(b) {
			set[rel] = true
		}
	}
	return set
}

// covers reports whether name in root is a journaled temporary, or a
// directory that holds nothing but journaled temporaries (units/ holding
// a dead shard's unfinished unit).
func (s journalSet) covers(root *os.Root, name string) bool {
	if s[name] {
		return true
	}
	sub, err := childDir(root, name)
	if sub == nil || err != nil {
		return false
	}
	defer sub.Close()
	names, err := readDirNames(sub)
	if err != nil {
		return false
	}
	for _, n := range names {
		if !s[name+"/"+n] {
			return false
		}
	}
	return true
}

// exists reports whether name is in root.
func exists(root *os.Root, name string) bool {
	_, err := root.Lstat(name)
	return !errors.Is(err, fs.ErrNotExist)
}

// regularWith reports whether name in root is a regular file that is empty
// (killed before a byte was written) or whose content satisfies ok.
func regularWith(root *os.Root, name string, ok func([]byte) bool) bool {
	fi, err := root.Lstat(name)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > 1<<20 {
		return false
	}
	if fi.Size() == 0 {
		return true
	}
	b, err := readRegular(root, name, 1<<20)
	return err == nil && ok(b)
}

// holderName reports whether name is a holder file's: lock.<16 hex
// digits>, or that with .tmp while it is being written.
func holderName(name string) bool {
	id, ok := strings.CutPrefix(name, holderPrefix)
	if !ok {
		return false
	}
	id = strings.TrimSuffix(id, holderTmp)
	if len(id) != 16 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

func readDirNames(root *os.Root) ([]string, error) {
	d, err := root.Open(".")
	if err != nil {
		return nil, rootError(root, err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", root.Name(), err)
	}
	slices.Sort(names)
	return names, nil
}

// brief lists names, the first few of them.
func brief(names []string) string {
	const most = 4
	if len(names) <= most {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:most], ", "), len(names)-most)
}

// pathIn is the path of name in root, for messages.
func pathIn(root *os.Root, name string) string { return filepath.Join(root.Name(), name) }

// rootError puts the paths of an error from an os.Root method (relative to
// the root) in full: "/runs/x/episodes.arrow: open: permission denied".
func rootError(root *os.Root, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("data: %w", fileError{&fs.PathError{Op: strings.TrimSuffix(pe.Op, "at"), Path: pathIn(root, pe.Path), Err: pe.Err}})
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return fmt.Errorf("data: %w", fileError{&os.LinkError{Op: strings.TrimSuffix(le.Op, "at"), Old: pathIn(root, le.Old), New: pathIn(root, le.New), Err: le.Err}})
	}
	return fmt.Errorf("data: %s: %w", root.Name(), fileError{err})
}

// openDir opens dir as a root, following symbolic links in dir itself
// (the path a user gave).
func openDir(dir string) (*os.Root, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("data: %w", fileError{err})
	}
	return r, nil
}

// subRoot opens the directory name in parent as a root of its own,
// refusing a symbolic link or anything else that is not a directory, so
// that nothing mesa writes there lands elsewhere.
func subRoot(parent *os.Root, name string) (*os.Root, error) {
	fi, err := parent.Lstat(name)
	if err != nil {
		return nil, rootError(parent, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("data: %s is %s, not a directory; refusing to use it", pathIn(parent, name), kindOf(fi))
	}
	r, err := parent.OpenRoot(name)
	if err != nil {
		return nil, rootError(parent, err)
	}
	if now, err := r.Stat("."); err != nil || !os.SameFile(fi, now) {
		r.Close()
		return nil, fmt.Errorf("data: %s changed while it was opened", pathIn(parent, name))
	}
	return r, nil
}

// mkdirIn makes the directory name in parent if it does not exist, and
// opens it (see subRoot).
func mkdirIn(parent *os.Root, name string) (*os.Root, error) {
	if err := parent.Mkdir(name, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, rootError(parent, err)
	}
	return subRoot(parent, name)
}

// kindOf says what a file that is not what it should be is.
func kindOf(fi fs.FileInfo) string {
	switch t := fi.Mode().Type(); {
	case t&fs.ModeSymlink != 0:
		return "a symbolic link"
	case t.IsDir():
		return "a directory"
	case t.IsRegular():
		return "a regular file"
	}
	return "a special file"
}

// openRegular opens name in root for reading, refusing anything that is
// not a regular file: a symbolic link is never followed.
func openRegular(root *os.Root, name string) (*os.File, error) {
	fi, err := root.Lstat(name)
	if err != nil {
		return nil, rootError(root, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("data: %s is %s, not a regular file; refusing to read it", pathIn(root, name), kindOf(fi))
	}
	f, err := root.Open(name)
	if err != nil {
		return nil, rootError(root, err)
	}
	if now, err := f.Stat(); err != nil || !os.SameFile(fi, now) {
		f.Close()
		return nil, fmt.Errorf("data: %s changed while it was opened", pathIn(root, name))
	}
	return f, nil
}

// readRegular reads the regular file name in root, at most limit bytes.
func readRegular(root *os.Root, name string, limit int64) ([]byte, error) {
	f, err := openRegular(root, name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("data: %w", fileError{err})
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("data: %s: longer than %d bytes", f.Name(), limit)
	}
	return b, nil
}

// createExcl creates name in root, which must not exist: O_EXCL never
// follows a symbolic link and never truncates a file.
func createExcl(root *os.Root, name string) (*os.File, error) {
	f, err := root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		fi, lerr := root.Lstat(name)
		what := "exists"
		if lerr == nil {
			what = "exists (" + kindOf(fi) + ")"
		}
		return nil, fmt.Errorf("data: %s: %s and is not mesa's; refusing to replace it", pathIn(root, name), what)
	}
	if err != nil {
		return nil, rootError(root, err)
	}
	return f, nil
}

// createTemp creates the temporary file name in root for a file mesa is
// about to write: a stale one of mesa's (a regular file, left by a killed
// writer) is removed first; anything else there is refused.
func createTemp(root *os.Root, name string) (*os.File, error) {
	if err := removeRegular(root, name); err != nil {
		return nil, err
	}
	return createExcl(root, name)
}

// replaceable checks that name in root may be replaced by a file of
// mesa's: it does not exist, or it is a regular file of mesa's (ours says
// so).
func replaceable(root *os.Root, name string, ours bool) error {
	fi, err := root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return rootError(root, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("data: %s: %s, not mesa's; refusing to replace it", pathIn(root, name), kindOf(fi))
	case !ours:
		return fmt.Errorf("data: %s: exists and is not mesa's (no manifest or marker lists it); refusing to replace it", pathIn(root, name))
	}
	return nil
}

// place gives the file tmp in root the name name, which must not exist:
// a hard link then the removal of tmp, so that an existing file is never
// replaced, or, where the file system has no hard links, a rename after
// checking that nothing is there.
func place(root *os.Root, tmp, name string) error {
	err := root.Link(tmp, name)
	if err == nil {
		return removeRegular(root, tmp)
	}
	if errors.Is(err, fs.ErrExist) {
		return replaceable(root, name, false)
	}
	if err := replaceable(root, name, false); err != nil {
		return err
	}
	if err := root.Rename(tmp, name); err != nil {
		return rootError(root, err)
	}
	return nil
}

// rename renames tmp to name in root, replacing name only if it is a
// regular file that is mesa's (ours).
func rename(root *os.Root, tmp, name string, ours bool) error {
	if err := replaceable(root, name, ours); err != nil {
		return err
	}
	if err := root.Rename(tmp, name); err != nil {
		return rootError(root, err)
	}
	return nil
}

// syncRoot makes renames in the directory of root durable, where the
// system allows it.
func syncRoot(root *os.Root) {
	if d, err := root.Open("."); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// writeSealed writes v, sealed (see seal), as name in root: under
// name.tmp, synced, then renamed over name, which must be absent or a
// regular file (the earlier version, which the caller has proven mesa's).
func writeSealed(root *os.Root, name string, v sealable) error {
	b, err := seal(v)
	if err != nil {
		return fmt.Errorf("data: %s: %w", pathIn(root, name), err)
	}
	tmp := name + ".tmp"
	f, err := createTemp(root, tmp)
	if err != nil {
		return err
	}
	if err := writeClose(f, b); err != nil {
		_ = root.Remove(tmp)
		return fmt.Errorf("data: %w", fileError{err})
	}
	if err := rename(root, tmp, name, true); err != nil {
		_ = root.Remove(tmp)
		return err
	}
	syncRoot(root)
	return nil
}

// writeClose writes b to the new file f, syncs and closes it.
func writeClose(f *os.File, b []byte) error {
	_, err := f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Seals: each JSON file mesa writes (manifest, plan, output marker) carries
// self_sha256, the SHA-256 of the file with that field's value replaced by
// zeros, so that a reader detects any change to any byte. Files written
// before seals existed have none and are read unchecked.

const sealKey = `"self_sha256": "`

var sealZeros = strings.Repeat("0", 64)

// A sealable is a struct with a self_sha256 field.
type sealable interface{ setSeal(string) }

// seal returns v as indented JSON with a newline, sealed.
func seal(v sealable) ([]byte, error) {
	v.setSeal(sealZeros)
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	if bytes.Count(b, []byte(sealKey)) != 1 {
		return nil, errors.New("seal: the self_sha256 field is not found once")
	}
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:])
	v.setSeal(h)
	return bytes.Replace(b, []byte(sealKey+sealZeros), []byte(sealKey+h), 1), nil
}

// checkSeal checks the seal claimed (the decoded self_sha256) of the JSON
// file b: "" is a file without a seal, accepted unchecked.
func checkSeal(b []byte, claimed string) error {
	if claimed == "" {
		return nil
	}
	field := []byte(sealKey + claimed + `"`)
	if len(claimed) != 64 || bytes.Count(b, field) != 1 {
		return errors.New("corrupt: its self_sha256 field is malformed")
	}
	sum := sha256.Sum256(bytes.Replace(b, field, []byte(sealKey+sealZeros+`"`), 1))
	if hex.EncodeToString(sum[:]) != claimed {
		return errors.New("corrupt: its content does not match its self_sha256 (changed since mesa wrote it)")
	}
	return nil
}

// refusal is the error of writing a run into dir, which st says is neither
// a run nor empty.
func refusal(dir string, st *dirState) error {
	if st.kind == dirOutput {
		return fmt.Errorf("data: %s holds mesa's %s of run %s (%s), not a run; refusing to write a run into it", dir, st.output.what(), st.runID, OutputMarker)
	}
	return fmt.Errorf("data: %s is not empty and not a mesa run (%s); refusing to write into it or remove anything from it", dir, st.why)
}

// WriteFileAtomic writes the file path as fill writes it, for the files a
// user names (mesa render --png): into a new temporary file beside it,
// created exclusively, synced, then renamed over path, so that path is
// never seen empty or partial and a failure (a full disk) leaves nothing
// behind. A symbolic link at path is replaced, never written through.
func WriteFileAtomic(path string, fill func(w io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("data: %w", fileError{err})
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err := fill(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("data: %w", fileError{err})
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("data: %w", fileError{err})
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("data: %w", fileError{err})
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("data: %w", fileError{err})
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("data: %w", fileError{err})
	}
	return nil
}
