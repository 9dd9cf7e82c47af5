package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/mesa-alignment/mesa/experiment"
)

// newProgress reports a run's progress on w: a progress bar (units done of
// total, env steps per second, time left) when w is a terminal, otherwise —
// in a Slurm or Kubernetes log — one line per finished unit.
func newProgress(w io.Writer) experiment.Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{w: w}
	}
	return &lineProgress{w: w}
}

// lineProgress writes one line per event.
type lineProgress struct {
	w           io.Writer
	total, done int
	todo        int
	start       time.Time
}

func (p *lineProgress) Start(plan *experiment.Plan, todo []experiment.Unit, done int) {
	p.total, p.done, p.todo, p.start = len(plan.Units), done, len(todo), time.Now()
	fmt.Fprintf(p.w, "run %s: %d units, %d complete, %d to run here\n", plan.RunID, p.total, done, len(todo))
}

func (p *lineProgress) UnitDone(u experiment.Unit, s experiment.UnitStats) {
	p.done++
	fmt.Fprintf(p.w, "unit %d/%d done: %s (%s env steps in %s)\n", p.done, p.total, u.ID(),
		siCount(float64(s.EnvSteps)), s.Elapsed.Round(100*time.Millisecond))
}

func (p *lineProgress) Merged(dir string) {
	fmt.Fprintf(p.w, "merged %d units into %s\n", p.total, dir)
}

// barProgress draws a progress bar.
type barProgress struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	steps float64
	start time.Time
}

func (p *barProgress) Start(plan *experiment.Plan, todo []experiment.Unit, done int) {
	p.start = time.Now()
	fmt.Fprintf(p.w, "run %s: %d units, %d complete, %d to run here\n", plan.RunID, len(plan.Units), done, len(todo))
	if len(todo) == 0 {
		return
	}
	p.bar = progressbar.NewOptions(len(todo),
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription("units"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
	)
}

func (p *barProgress) UnitDone(u experiment.Unit, s experiment.UnitStats) {
	p.steps += float64(s.EnvSteps)
	rate := p.steps / max(time.Since(p.start).Seconds(), 1e-3)
	p.bar.Describe(fmt.Sprintf("units (%s env steps/s)", siCount(rate)))
	_ = p.bar.Add(1)
}

func (p *barProgress) Merged(dir string) {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
	fmt.Fprintf(p.w, "merged into %s in %s\n", dir, time.Since(p.start).Round(time.Second))
}

// siCount writes a count with an SI suffix: 4.0M.
func siCount(x float64) string {
	switch {
	case x >= 1e9:
		return fmt.Sprintf("%.1fG", x/1e9)
	case x >= 1e6:
		return fmt.Sprintf("%.1fM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.1fk", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}
