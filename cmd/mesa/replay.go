package main

import (
	"mesa/experiment"
	"mesa/report"
	"mesa/world"
)

// replayers re-simulates the episodes the report draws, one
// experiment.Replayer per run directory, opened when first needed.
type replayers map[string]*experiment.Replayer

var _ report.Replayer = replayers{}

// close closes the replayers opened.
func (rs replayers) close() {
	for _, r := range rs {
		r.Close()
	}
}

func (rs replayers) Replay(run *report.Run, point int, agentID, split string, episode int) (*world.Level, []world.Point, error) {
	r := rs[run.Dir]
	if r == nil {
		var err error
		if r, err = experiment.NewReplayer(run.Dir); err != nil {
			return nil, nil, err
		}
		rs[run.Dir] = r
	}
	ep, err := r.Episode(point, agentID, split, episode)
	if err != nil {
		return nil, nil, err
	}
	return ep.Level, ep.Path, nil
}
