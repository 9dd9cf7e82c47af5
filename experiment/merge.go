package experiment

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/mesa-alignment/mesa/data"
)

// testHook, if not nil, is called at each of mergeMoments: the tests kill
// the process there.
var testHook func(moment string)

// mergeMoments are the moments of a merge the tests kill a run at.
var mergeMoments = []string{"merge-writing", "merge-staged", "publish-manifest-partial", "publish-table-moved", "publish-manifest-moved"}

func hook(moment string) {
	if testHook != nil {
		testHook(moment)
	}
}

// merge writes the run's tables from its units, in canonical order, into
// a staging directory of the run directory that lock holds (recorded in
// the lock's journal), then publishes them there (data.DirLock.Publish). A
// kill at any moment leaves either the old run, or tables without a
// complete manifest (which no reader takes for a run and the next Run
// merges again), never a complete manifest over other tables; a failure
// (a full disk) removes the staging directory.
func merge(ctx context.Context, p *Plan, lock *data.DirLock, opts Options) error {
	info, err := p.runInfo(-1)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	steps, curriculum := false, false
	for k := range p.Points {
		c, err := p.Config.Point(k)
		if err != nil {
			return fmt.Errorf("merge: %w", err)
		}
		steps = steps || c.Record.Steps
		curriculum = curriculum || c.Train.Curriculum.Name != ""
	}
	w, err := lock.CreateMerge(info, data.Options{Steps: steps, Curriculum: curriculum, OmitTiming: !opts.Timing, Compression: opts.Compression})
	if err != nil {
		return err
	}
	fail := func(err error) error {
		lock.Discard(w, err)
		return err
	}
	for _, u := range p.Units {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		err := p.setPoint(w, u.Point)
		if err == nil {
			err = p.appendUnit(w, filepath.Join(lock.Dir(), unitsDir, u.Dir()), steps)
		}
		if err != nil {
			return fail(fmt.Errorf("merge: unit %s: %w", u.ID(), err))
		}
		if u.Index == len(p.Units)/2 {
			hook("merge-writing")
		}
	}
	if err := w.Close(); err != nil {
		return fail(err)
	}
	hook("merge-staged")
	if err := lock.Publish(w, hook); err != nil {
		return fail(err)
	}
	return nil
}

// appendUnit copies every table of the unit in udir into w, each verified
// against the unit's manifest; a unit of another run is refused.
func (p *Plan) appendUnit(w *data.Writer, udir string, steps bool) error {
	r, err := data.OpenRun(udir)
	if err != nil {
		return err
	}
	defer r.Close()
	if m := r.Manifest(); m.RunID != p.RunID || m.Status != data.StatusComplete {
		return fmt.Errorf("%s: a %s unit of run %s, not a complete unit of run %s", udir, m.Status, m.RunID, p.RunID)
	}
	if err := copyRows(r.Episodes, w.AppendEpisodes); err != nil {
		return err
	}
	if err := copyRows(r.Training, w.AppendTraining); err != nil {
		return err
	}
	if err := copyRows(r.Agents, w.AppendAgents); err != nil {
		return err
	}
	if err := copyRows(r.Attribution, w.AppendAttribution); err != nil {
		return err
	}
	if w.Curriculum() && r.Has(data.TableCurriculum) {
		if err := copyRows(r.Curriculum, w.AppendCurriculum); err != nil {
			return err
		}
	}
	if !steps || !r.Has(data.TableSteps) {
		return nil // a point that does not record steps
	}
	return copyRows(r.Steps, w.AppendSteps)
}

// copyRows appends every row of a table, batch by batch.
func copyRows[R any](open func(*data.ReadOptions) (*data.Reader[R], error), add func(...R) error) error {
	r, err := open(nil)
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
