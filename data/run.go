package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
)

// A Run is a run directory opened for reading: its manifest, checked as
// ReadManifest checks it, and consistent with the directory's plan if it
// has one (the same run id). Its table readers verify each table file
// against the manifest as they open it (size and SHA-256, read through the
// very open file they then decode, so that a file replaced meanwhile is
// not read unverified), and check that the file's rows are of the
// manifest's run (its mesa.run_id): a changed file, a file copied from
// another run, or a symbolic link is refused with one line naming the
// file. A Run does not require the run to be complete: check the
// manifest's Status.
type Run struct {
	dir  string
	root *os.Root
	m    *Manifest
}

// OpenRun opens the run in dir for reading. A directory without a
// manifest is an error wrapping fs.ErrNotExist.
func OpenRun(dir string) (*Run, error) {
	root, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	m, err := readManifestIn(root)
	if err == nil {
		err = planAgrees(root, m)
	}
	if err != nil {
		root.Close()
		return nil, err
	}
	return &Run{dir: dir, root: root, m: m}, nil
}

// planAgrees checks that the plan beside manifest m, if there is one, is
// a valid plan of m's run.
func planAgrees(root *os.Root, m *Manifest) error {
	if _, err := root.Lstat(PlanFile); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	p, err := readPlanIn(root)
	if err != nil {
		return err
	}
	if p.RunID != m.RunID {
		return fmt.Errorf("data: %s is of run %s, %s of run %s: the directory mixes two runs", pathIn(root, PlanFile), p.RunID, pathIn(root, ManifestFile), m.RunID)
	}
	return nil
}

// Dir returns the run directory.
func (r *Run) Dir() string { return r.dir }

// Manifest returns the run's manifest. It belongs to the Run.
func (r *Run) Manifest() *Manifest { return r.m }

// Close releases the directory; readers opened from the Run stay usable.
func (r *Run) Close() error { return r.root.Close() }

// Has reports whether the manifest lists the table.
func (r *Run) Has(table string) bool {
	_, ok := r.m.Table(table)
	return ok
}

// Verify checks every table file the manifest lists, as the readers do
// when they open one.
func (r *Run) Verify() error {
	for _, tf := range r.m.Tables {
		t, err := r.table(tf.Table, nil)
		if err != nil {
			return err
		}
		t.close()
	}
	return nil
}

// Episodes opens the run's episodes table.
func (r *Run) Episodes(opts *ReadOptions) (*Reader[EpisodeRow], error) {
	return openIn(r, TableEpisodes, opts, bindEpisodes)
}

// Training opens the run's training table.
func (r *Run) Training(opts *ReadOptions) (*Reader[TrainingRow], error) {
	return openIn(r, TableTraining, opts, bindTraining)
}

// Agents opens the run's agents table.
func (r *Run) Agents(opts *ReadOptions) (*Reader[AgentRow], error) {
	return openIn(r, TableAgents, opts, bindAgents)
}

// Attribution opens the run's attribution table.
func (r *Run) Attribution(opts *ReadOptions) (*Reader[AttributionRow], error) {
	return openIn(r, TableAttribution, opts, bindAttribution)
}

// Steps opens the run's steps table.
func (r *Run) Steps(opts *ReadOptions) (*Reader[StepRow], error) {
	return openIn(r, TableSteps, opts, bindSteps)
}

func openIn[R any](r *Run, table string, opts *ReadOptions, bind func(arrow.RecordBatch, []int) (func(int, *R), error)) (*Reader[R], error) {
	tf, err := r.table(table, opts)
	if err != nil {
		return nil, err
	}
	return &Reader[R]{tableFile: *tf, bind: bind}, nil
}

// table opens the file of the named table, verified.
func (r *Run) table(table string, opts *ReadOptions) (*tableFile, error) {
	tf, ok := r.m.Table(table)
	if !ok {
		return nil, fmt.Errorf("data: %s: run %s has no %s table (status %s)", r.dir, r.m.RunID, table, r.m.Status)
	}
	f, err := openRegular(r.root, tf.File)
	if err != nil {
		return nil, err
	}
	if err := verifyOpen(f, tf); err != nil {
		f.Close()
		return nil, err
	}
	t, err := openTableFile(f, f.Name(), table, opts)
	if err != nil {
		return nil, err
	}
	switch {
	case t.meta.RunID != r.m.RunID:
		err = errorf(t.path, "holds rows of run %s, not of run %s (its manifest's): another run's file", t.meta.RunID, r.m.RunID)
	case t.meta.SchemaVersion != r.m.SchemaVersion:
		err = errorf(t.path, "schema version %d, its manifest says %d", t.meta.SchemaVersion, r.m.SchemaVersion)
	}
	if err != nil {
		t.close()
		return nil, err
	}
	return t, nil
}
