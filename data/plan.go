package data

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// PlanFormat identifies a mesa plan.
const PlanFormat = "mesa-plan"

// A RunPlan is what a run directory's plan.json holds: the run's id, its
// resolved config and its units, written before any unit, so that a later
// command on the directory continues the run only if its plan is the same,
// and so that a sweep's directory is provably mesa's before its manifest
// exists.
type RunPlan struct {
	Format string   `json:"format"` // PlanFormat
	RunID  string   `json:"run_id"`
	Config string   `json:"config"` // the resolved config, sweep included
	Units  []string `json:"units"`  // unit IDs in canonical order
	SHA256 string   `json:"sha256"` // of Config and Units (PlanSHA256)
	// SelfSHA256 seals the file, as Manifest.SelfSHA256 does.
	SelfSHA256 string `json:"self_sha256,omitempty"`
}

func (p *RunPlan) setSeal(s string) { p.SelfSHA256 = s }

// NewRunPlan returns the plan of run id with the resolved config and the
// unit IDs.
func NewRunPlan(id string, config []byte, units []string) *RunPlan {
	return &RunPlan{Format: PlanFormat, RunID: id, Config: string(config), Units: units, SHA256: planSHA256(config, units)}
}

// planSHA256 is the SHA-256 of a config and its unit IDs, each after a
// newline.
func planSHA256(config []byte, units []string) string {
	h := sha256.New()
	h.Write(config)
	for _, u := range units {
		fmt.Fprintf(h, "\n%s", u)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ReadPlan reads and checks the plan of the run in dir: mesa's format, a
// run id, the checksum of its config and units, and its seal. A plan that
// does not exist is an error wrapping fs.ErrNotExist.
func ReadPlan(dir string) (*RunPlan, error) {
	root, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return readPlanIn(root)
}

// maxPlan bounds the size of a plan (a sweep of 10^6 units).
const maxPlan = 256 << 20

func readPlanIn(root *os.Root) (*RunPlan, error) {
	b, err := readRegular(root, PlanFile, maxPlan)
	if err != nil {
		return nil, err
	}
	return decodePlan(pathIn(root, PlanFile), b)
}

func decodePlan(path string, b []byte) (*RunPlan, error) {
	var p RunPlan
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&p); err != nil {
		return nil, fmt.Errorf("data: %s: not a mesa plan (corrupt?): %s", path, oneLine(err.Error()))
	}
	switch {
	case p.Format != PlanFormat:
		return nil, fmt.Errorf("data: %s: format %q, want %q: not a mesa plan", path, p.Format, PlanFormat)
	case p.RunID == "":
		return nil, fmt.Errorf("data: %s: no run_id: not a mesa plan", path)
	case p.SHA256 != planSHA256([]byte(p.Config), p.Units):
		return nil, fmt.Errorf("data: %s: corrupt: its config and units do not match its sha256", path)
	}
	if err := checkSeal(b, p.SelfSHA256); err != nil {
		return nil, fmt.Errorf("data: %s: %v", path, err)
	}
	return &p, nil
}

// ClaimPlan makes p the plan of the locked directory unless it already
// has one, and returns the plan the directory holds: p, or the one
// another command wrote first. The claim is atomic: of any number of
// processes claiming a directory at once, exactly one plan is written,
// and every claimant sees it. A plan.json that is not a valid mesa plan is
// an error naming it.
func (l *DirLock) ClaimPlan(p *RunPlan) (*RunPlan, error) {
	if got, err := readPlanIn(l.root); !errors.Is(err, fs.ErrNotExist) {
		return got, err
	}
	b, err := seal(p)
	if err != nil {
		return nil, err
	}
	tmp, err := l.journal("", ".plan.json.tmp-")
	if err != nil {
		return nil, err
	}
	f, err := createExcl(l.root, tmp)
	if err != nil {
		return nil, err
	}
	if err = writeClose(f, b); err == nil {
		err = l.root.Link(tmp, PlanFile)
		if errors.Is(err, fs.ErrExist) {
			err = nil // another claimant was first: its plan stands
		} else if err != nil && !errors.Is(err, fs.ErrExist) {
			// No hard links here: create the plan exclusively instead.
			err = l.writeExclusive(PlanFile, b)
		}
	}
	_ = removeRegular(l.root, tmp)
	if err != nil {
		return nil, fmt.Errorf("data: claim %s: %w", pathIn(l.root, PlanFile), fileError{err})
	}
	syncRoot(l.root)
	return readPlanIn(l.root)
}

// writeExclusive creates name in the locked directory with content b, if
// it does not exist yet.
func (l *DirLock) writeExclusive(name string, b []byte) error {
	f, err := l.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return writeClose(f, b)
}
