package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/mesa-alignment/mesa/names"
)

// ManifestFile is the name of a run's manifest.
const ManifestFile = names.ManifestFile

// ManifestFormat identifies a mesa run manifest.
const ManifestFormat = "mesa-run"

// Run statuses.
const (
	StatusComplete = "complete"
	StatusPartial  = "partial"
)

// A Manifest describes a run directory: its provenance and the finished
// table files. It is written atomically (tmp + rename), first with status
// partial when the run starts and last with status complete.
type Manifest struct {
	Format        string `json:"format"` // ManifestFormat
	SchemaVersion int    `json:"schema_version"`
	RunID         string `json:"run_id"`
	RootSeed      uint64 `json:"root_seed"`
	// Status is "complete" or "partial"; Error says why a run is partial.
	Status      string `json:"status"`
	Error       string `json:"error,omitempty"`
	Compression string `json:"compression"`
	// Config is the resolved configuration, verbatim (YAML or JSON).
	Config   string            `json:"config"`
	Versions map[string]string `json:"versions,omitempty"`
	// Params and Points are the run's sweep parameters and the sweep's
	// points (RunInfo.Params, RunInfo.Points): the values behind each
	// row's point column. Absent outside sweeps.
	Params []Param     `json:"params,omitempty"`
	Points []PointInfo `json:"points,omitempty"`
	// Summary is RunInfo.Summary: what a report states about the config,
	// in a type its writer owns (experiment.Summary). Absent from runs
	// before schema version 6.
	Summary json.RawMessage `json:"summary,omitempty"`
	// Tables lists the finished table files, in Tables() order.
	Tables []TableFile `json:"tables"`
	// Writing lists, in a partial manifest, every file its writer may
	// have left besides the finished tables: each table's
	// <table>.arrow.tmp, <table>.arrow and <table>.partial.arrow. With
	// Tables it is what RemoveRun removes; a killed or failed writer's
	// files are thus always mesa's provably.
	Writing []string `json:"writing,omitempty"`
	// SelfSHA256 seals the manifest: the SHA-256 of the file with this
	// field's value replaced by 64 zeros. A reader refuses a manifest
	// whose bytes changed since mesa wrote it; one without the field
	// (written by an older mesa) is read unchecked.
	SelfSHA256 string `json:"self_sha256,omitempty"`
}

func (m *Manifest) setSeal(s string) { m.SelfSHA256 = s }

// A TableFile is one finished table file of a run.
type TableFile struct {
	Table   string `json:"table"`
	File    string `json:"file"` // relative to the run directory
	Rows    int64  `json:"rows"`
	Batches int    `json:"batches"`
	Bytes   int64  `json:"bytes"`
	SHA256  string `json:"sha256"` // hex
}

// Point returns the point of the given index, if the run's sweep has it.
func (m *Manifest) Point(index int) (PointInfo, bool) {
	for _, p := range m.Points {
		if p.Index == index {
			return p, true
		}
	}
	return PointInfo{}, false
}

// Table returns the entry of the named table, if the run finished it.
func (m *Manifest) Table(name string) (TableFile, bool) {
	for _, t := range m.Tables {
		if t.Table == name {
			return t, true
		}
	}
	return TableFile{}, false
}

// ReadManifest reads and checks the manifest of the run in dir: mesa's
// format and seal, a run id, a status, table files inside the directory.
// It does not require the run to be complete: check Status. A manifest
// that is a symbolic link is refused.
func ReadManifest(dir string) (*Manifest, error) {
	root, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return readManifestIn(root)
}

// maxManifest bounds the size of a manifest (a sweep of 10^5 points lists
// each point's values).
const maxManifest = 256 << 20

func readManifestIn(root *os.Root) (*Manifest, error) {
	path := pathIn(root, ManifestFile)
	b, err := readRegular(root, ManifestFile, maxManifest)
	if err != nil {
		return nil, err
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("data: %s: not a run manifest: %s", path, oneLine(err.Error()))
	}
	switch {
	case m.Format != ManifestFormat:
		return nil, fmt.Errorf("data: %s: format %q, want %q", path, m.Format, ManifestFormat)
	case m.SchemaVersion < 1:
		return nil, fmt.Errorf("data: %s: schema_version %d", path, m.SchemaVersion)
	case m.Status != StatusComplete && m.Status != StatusPartial:
		return nil, fmt.Errorf("data: %s: status %q, want complete or partial", path, m.Status)
	}
	for _, t := range m.Tables {
		if !plainName(t.File) {
			return nil, fmt.Errorf("data: %s: table %q has file %q outside the run directory", path, t.Table, t.File)
		}
	}
	for _, f := range m.Writing {
		if !plainName(f) {
			return nil, fmt.Errorf("data: %s: writing lists %q, outside the run directory", path, f)
		}
	}
	if m.RunID == "" {
		return nil, fmt.Errorf("data: %s: no run_id", path)
	}
	if err := checkSeal(b, m.SelfSHA256); err != nil {
		return nil, fmt.Errorf("data: %s: %v", path, err)
	}
	return &m, nil
}

// plainName reports whether name is a file name in a directory: not
// empty, no separator, not . or ..
func plainName(name string) bool {
	return name != "" && name != "." && name != ".." && filepath.Base(name) == name && !strings.ContainsAny(name, `/\`)
}

// VerifyRun reads the manifest of dir and checks that the run is complete
// and that every listed file has the recorded size and SHA-256.
func VerifyRun(dir string) (*Manifest, error) {
	root, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return verifyRunIn(root)
}

func verifyRunIn(root *os.Root) (*Manifest, error) {
	m, err := readManifestIn(root)
	if err != nil {
		return nil, err
	}
	if m.Status != StatusComplete {
		msg := ""
		if m.Error != "" {
			msg = ": " + m.Error
		}
		return m, fmt.Errorf("data: %s: run %s is %s%s", root.Name(), m.RunID, m.Status, msg)
	}
	for _, t := range m.Tables {
		f, err := openRegular(root, t.File)
		if err != nil {
			return m, err
		}
		err = verifyOpen(f, t)
		f.Close()
		if err != nil {
			return m, err
		}
	}
	return m, nil
}

// verifyOpen checks that the open file f has the size and SHA-256 the
// manifest entry t records, reading it through, and leaves it at its
// start. A mismatch is one line naming the file.
func verifyOpen(f *os.File, t TableFile) error {
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("data: %w", fileError{err})
	}
	if n != t.Bytes {
		return fmt.Errorf("data: %s: %d bytes, manifest says %d (truncated or replaced)", f.Name(), n, t.Bytes)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != t.SHA256 {
		return fmt.Errorf("data: %s: sha256 %s, manifest says %s (corrupt or replaced)", f.Name(), got, t.SHA256)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("data: %w", fileError{err})
	}
	return nil
}

// BuildVersions returns the versions a run should record: the Go version,
// the main module's version and VCS revision, the version of every
// dependency in the build, as found by runtime/debug.ReadBuildInfo, and
// mesa's own as "mesa" (main module or dependency).
func BuildVersions() map[string]string {
	v := map[string]string{"schema": fmt.Sprint(SchemaVersion)}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v["go"] = bi.GoVersion
	v[bi.Main.Path] = bi.Main.Version
	if bi.Main.Path == names.Module {
		v["mesa"] = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision", "vcs.time", "vcs.modified":
			v[s.Key] = s.Value
		}
	}
	for _, d := range bi.Deps {
		v[d.Path] = d.Version
		if d.Path == names.Module {
			v["mesa"] = d.Version // a researcher's module runs mesa
		}
	}
	return v
}
