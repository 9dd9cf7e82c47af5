package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
)

// ManifestFile is the name of a run's manifest.
const ManifestFile = "manifest.json"

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
	// Tables lists the finished table files, in Tables() order.
	Tables []TableFile `json:"tables"`
}

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

func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	return writeFileAtomic(filepath.Join(dir, ManifestFile), append(b, '\n'))
}

// writeFileAtomic writes b to a temporary file beside path, syncs it and
// renames it over path, so that readers see the old or the new file whole.
func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	// Make the rename durable; not every system can sync a directory.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// ReadManifest reads and checks the manifest of the run in dir. It does not
// require the run to be complete: check Status.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
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
		if t.File == "" || filepath.Base(t.File) != t.File {
			return nil, fmt.Errorf("data: %s: table %q has file %q outside the run directory", path, t.Table, t.File)
		}
	}
	return &m, nil
}

// VerifyRun reads the manifest of dir and checks that the run is complete
// and that every listed file has the recorded size and SHA-256.
func VerifyRun(dir string) (*Manifest, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if m.Status != StatusComplete {
		msg := ""
		if m.Error != "" {
			msg = ": " + m.Error
		}
		return m, fmt.Errorf("data: %s: run %s is %s%s", dir, m.RunID, m.Status, msg)
	}
	for _, t := range m.Tables {
		path := filepath.Join(dir, t.File)
		if err := verifyFile(path, t.Bytes, t.SHA256); err != nil {
			return m, fmt.Errorf("data: %s: %w", path, err)
		}
	}
	return m, nil
}

func verifyFile(path string, size int64, sum string) error {
	f, err := os.Open(path)
	if err != nil {
		return errors.Unwrap(err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%d bytes, manifest says %d (truncated or replaced)", n, size)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return fmt.Errorf("sha256 %s, manifest says %s (corrupt or replaced)", got, sum)
	}
	return nil
}

// BuildVersions returns the versions a run should record: the Go version,
// the main module's version and VCS revision, and the version of every
// dependency in the build, as found by runtime/debug.ReadBuildInfo.
func BuildVersions() map[string]string {
	v := map[string]string{"schema": fmt.Sprint(SchemaVersion)}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v["go"] = bi.GoVersion
	v[bi.Main.Path] = bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision", "vcs.time", "vcs.modified":
			v[s.Key] = s.Value
		}
	}
	for _, d := range bi.Deps {
		v[d.Path] = d.Version
	}
	return v
}
