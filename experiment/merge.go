package experiment

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"mesa/data"
)

// mergeDir is where the run's tables are written before they are published.
const mergeDir = ".merge.tmp"

// testHook, if not nil, is called at each of mergeMoments: the tests kill
// the process there.
var testHook func(moment string)

// mergeMoments are the moments of a merge the tests kill a run at.
var mergeMoments = []string{"merge-writing", "merge-staged", "publish-manifest-removed", "publish-table-moved", "publish-manifest-moved"}

func hook(moment string) {
	if testHook != nil {
		testHook(moment)
	}
}

// merge writes the run's tables from its units, in canonical order, into a
// staging directory, then publishes them: the old manifest goes first, the
// tables are renamed into dir, and the complete manifest comes last. A kill
// at any moment leaves either the old run, or tables without a complete
// manifest (which no reader takes for a run and the next Run merges again),
// never a complete manifest over other tables.
func merge(ctx context.Context, p *Plan, dir string, opts Options) error {
	stage := filepath.Join(dir, mergeDir)
	if err := os.RemoveAll(stage); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	info, err := p.runInfo(-1)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	steps := false
	for k := range p.Points {
		c, err := p.Config.Point(k)
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		steps = steps || c.Record.Steps
	}
	w, err := data.Create(stage, info, data.Options{Steps: steps, OmitTiming: !opts.Timing, Compression: opts.Compression})
	if err != nil {
		return err
	}
	for _, u := range p.Units {
		if err := ctx.Err(); err != nil {
			_ = w.Abort(err)
			return err
		}
		err := p.setPoint(w, u.Point)
		if err == nil {
			err = appendUnit(w, filepath.Join(dir, unitsDir, u.Dir()), steps)
		}
		if err != nil {
			_ = w.Abort(err)
			return fmt.Errorf("merge: unit %s: %w", u.ID(), err)
		}
		if u.Index == len(p.Units)/2 {
			hook("merge-writing")
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	hook("merge-staged")
	return publish(stage, dir)
}

// appendUnit copies every table of the unit in udir into w.
func appendUnit(w *data.Writer, udir string, steps bool) error {
	path := func(t string) string { return filepath.Join(udir, data.FileName(t)) }
	if err := copyRows(path(data.TableEpisodes), data.OpenEpisodes, w.AppendEpisodes); err != nil {
		return err
	}
	if err := copyRows(path(data.TableTraining), data.OpenTraining, w.AppendTraining); err != nil {
		return err
	}
	if err := copyRows(path(data.TableAgents), data.OpenAgents, w.AppendAgents); err != nil {
		return err
	}
	if err := copyRows(path(data.TableAttribution), data.OpenAttribution, w.AppendAttribution); err != nil {
		return err
	}
	if !steps {
		return nil
	}
	err := copyRows(path(data.TableSteps), data.OpenSteps, w.AppendSteps)
	if errors.Is(err, os.ErrNotExist) {
		return nil // a point that does not record steps
	}
	return err
}

// copyRows appends every row of the table file at path, batch by batch.
func copyRows[R any](path string, open func(string, *data.ReadOptions) (*data.Reader[R], error), add func(...R) error) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	r, err := open(path, nil)
	if err != nil {
		return err
	}
	defer r.Close()
	var batch []R
	for r.Next() {
		batch = append(batch, r.Row())
		if len(batch) == 4096 {
			if err := add(batch...); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	return add(batch...)
}

// publish moves the staged run into dir: the manifest last.
func publish(stage, dir string) error {
	m, err := data.ReadManifest(stage)
	if err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, data.ManifestFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("merge: %w", err)
	}
	syncDir(dir)
	hook("publish-manifest-removed")
	for i, t := range m.Tables {
		if err := os.Rename(filepath.Join(stage, t.File), filepath.Join(dir, t.File)); err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		if i == 0 {
			hook("publish-table-moved")
		}
	}
	syncDir(dir)
	if err := os.Rename(filepath.Join(stage, data.ManifestFile), filepath.Join(dir, data.ManifestFile)); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	syncDir(dir)
	hook("publish-manifest-moved")
	return os.RemoveAll(stage)
}
