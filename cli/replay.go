package cli

import (
	"github.com/mesa-alignment/mesa/experiment"
	"github.com/mesa-alignment/mesa/report"
	"github.com/mesa-alignment/mesa/world"
)

// replayers re-simulates the episodes the report draws, one
// experiment.Replayer per run directory, opened when first needed with
// the command's registry.
type replayers struct {
	reg *experiment.Registry
	m   map[string]*experiment.Replayer
}

var _ report.Replayer = replayers{}

func newReplayers(reg *experiment.Registry) replayers {
	return replayers{reg: reg, m: map[string]*experiment.Replayer{}}
}

// close closes the replayers opened.
func (rs replayers) close() {
	for _, r := range rs.m {
		r.Close()
	}
}

func (rs replayers) Replay(run *report.Run, point int, agentID, split string, episode int) (*world.Level, []world.Point, error) {
	r := rs.m[run.Dir]
	if r == nil {
		var err error
		if r, err = rs.reg.NewReplayer(run.Dir); err != nil {
			return nil, nil, err
		}
		rs.m[run.Dir] = r
	}
	ep, err := r.Episode(point, agentID, split, episode)
	if err != nil {
		return nil, nil, err
	}
	return ep.Level, ep.Path, nil
}
