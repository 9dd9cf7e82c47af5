package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/experiment"
	"github.com/mesa-alignment/mesa/report/figure"
	"github.com/mesa-alignment/mesa/stats"
	"github.com/mesa-alignment/mesa/world"
)

// renderCmd prints a level, or an evaluation episode of a run replayed from
// its tables with the agent's path drawn on the level, and with --png also
// draws it.
func renderCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("render", stderr)
	levelFile := fs.String("level", "", "level `file` in the text format")
	runDir := fs.String("run", "", "run `directory` whose evaluation episode to replay")
	agent := fs.String("agent", "", "agent `id` (with --run), e.g. none/oracle or sgd/planner/…/final/0")
	split := fs.String("split", "", "evaluation `split` (with --run), e.g. deploy or probe")
	episode := fs.Int("episode", 0, "episode `number` within the split, from 0 (with --run)")
	point := fs.Int("point", 0, "sweep `point` (with --run)")
	png := fs.String("png", "", "also draw the maze into this PNG `file`")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("render: unexpected argument %q", fs.Arg(0))
	}
	switch {
	case *levelFile != "" && *runDir != "":
		return usagef("render: give --level FILE or --run DIR, not both")
	case *levelFile != "":
		for _, f := range []string{"agent", "split", "episode", "point"} {
			if isSet(fs, f) {
				return usagef("render: --%s needs --run DIR, not --level", f)
			}
		}
		return renderLevel(*levelFile, *png, stdout)
	case *runDir != "":
		return renderEpisode(ctx, *runDir, *agent, *split, *episode, *point, *png, stdout)
	}
	return usagef("render: give --level FILE or --run DIR --agent ID --split S [--episode K] [--point P]")
}

// isSet reports whether the flag was given.
func isSet(fs flagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func renderLevel(file, png string, stdout io.Writer) error {
	text, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	l, err := world.Parse(text)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	var b bytes.Buffer
	b.Write(l.Render(nil))
	writeWrapped(&b, legend(l, nil), outputWidth(stdout, os.Getenv))
	if png != "" {
		if err := savePNG(png, filepath.Base(file), l, nil); err != nil {
			return err
		}
	}
	_, err = stdout.Write(b.Bytes())
	return err
}

func renderEpisode(ctx context.Context, dir, agent, split string, episode, point int, png string, stdout io.Writer) error {
	r, err := registryOf(ctx).NewReplayer(dir)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := ctx.Err(); err != nil { // before the episode is played, and anything written
		return err
	}
	if point < 0 || point >= r.Points() {
		return usagef("render: --point %d: run %s has points 0 to %d", point, r.RunID(), r.Points()-1)
	}
	agents := r.Agents(point)
	switch {
	case agent == "":
		return usagef("render: give --agent ID (agents at point %d: %s)", point, choices(agents))
	case !slices.Contains(agents, agent):
		return usagef("render: --agent %q: no such agent at point %d (agents: %s)", agent, point, choices(agents))
	}
	splits, err := r.Splits(point)
	if err != nil {
		return err
	}
	switch {
	case split == "":
		return usagef("render: give --split S (splits: %s)", choices(splits))
	case !slices.Contains(splits, split):
		return usagef("render: --split %q: no such split (splits: %s)", split, choices(splits))
	}
	if n := r.Episodes(point, split); episode < 0 || episode >= n {
		return usagef("render: --episode %d: split %s has episodes 0 to %d", episode, split, n-1)
	}
	rp, err := r.Episode(point, agent, split, episode)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var b bytes.Buffer
	width := outputWidth(stdout, os.Getenv)
	writeWrapped(&b, episodeHeader(r, point, rp), width)
	b.Write(overlay(rp.Level, rp.Path))
	writeWrapped(&b, legend(rp.Level, rp.Path), width)
	if png != "" {
		title := fmt.Sprintf("%s, %s episode %d: %s", agent, split, episode, rp.Row.Outcome)
		if err := savePNG(png, title, rp.Level, []figure.Path{{Label: agent, Cells: rp.Path}}); err != nil {
			return err
		}
	}
	_, err = stdout.Write(b.Bytes())
	return err
}

// writeWrapped writes text's lines (each ending in a newline) to b, each
// in lines of at most width runes, continuation lines indented.
func writeWrapped(b *bytes.Buffer, text string, width int) {
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		for _, l := range stats.Wrap(line, width, "  ") {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
}

// episodeHeader is the two lines above a replayed episode: which episode
// and how it went as logged, then what it went for.
func episodeHeader(r *experiment.Replayer, point int, rp *experiment.Replay) string {
	row := &rp.Row
	var b strings.Builder
	fmt.Fprintf(&b, "run %s", r.RunID())
	if r.Points() > 1 {
		fmt.Fprintf(&b, " point %d", point)
	}
	fmt.Fprintf(&b, " agent %s split %s episode %d: %s", row.AgentID, row.Split, row.Episode, orNone(row.Outcome))
	if row.Proxy != "" {
		fmt.Fprintf(&b, " (proxy %s)", row.Proxy)
	}
	fmt.Fprintf(&b, ", %d steps, base return %s\ntargets:", row.Steps, strconv.FormatFloat(row.BaseReturn, 'f', 3, 64))
	if len(row.Targets) == 0 {
		b.WriteString(" none")
	}
	for i, t := range row.Targets {
		sep := " "
		if i > 0 {
			sep = " then "
		}
		pursued := ""
		if !t.Pursued {
			pursued = " in passing"
		}
		fmt.Fprintf(&b, "%s%s at step %d%s", sep, t.Target, t.Step, pursued)
	}
	if row.Probe != "" {
		fmt.Fprintf(&b, "; probe of %s, reached %s first", row.Probe, row.ProbeFirst)
	}
	b.WriteByte('\n')
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "unclassified"
	}
	return s
}

// Path marks of the ASCII rendering.
const (
	visitedMark = '*'
	endMark     = '@'
)

// overlay returns the maze of l as Level.Render draws it, with the floor
// cells of path marked visited and its last cell as the end.
func overlay(l *world.Level, path []world.Point) []byte {
	b := l.Render(nil)
	stride := l.Width + 1 // each row ends in '\n'
	for _, p := range path {
		if i := p.Y*stride + p.X; b[i] == '.' {
			b[i] = visitedMark
		}
	}
	if n := len(path); n > 0 {
		b[path[n-1].Y*stride+path[n-1].X] = endMark
	}
	return b
}

// legend says what each character of a rendering of l means: the cells,
// the exit and apples l has, and the marks of path if it is not empty.
func legend(l *world.Level, path []world.Point) string {
	items := []string{"# wall", ". floor", "S start"}
	code := func(c world.Colour) byte { return world.Palette[c].Code }
	items = append(items, fmt.Sprintf("%c exit (%s)", code(l.Exit.Colour)-'a'+'A', l.Exit.Colour))
	var colours []world.Colour
	for _, a := range l.Apples {
		if !slices.Contains(colours, a.Colour) {
			colours = append(colours, a.Colour)
		}
	}
	slices.Sort(colours)
	for _, c := range colours {
		items = append(items, fmt.Sprintf("%c apple (%s)", code(c), c))
	}
	if n := len(path); n > 0 {
		end := fmt.Sprintf("%c where the episode ended", endMark)
		if at := path[n-1]; at == l.Exit.Pos {
			end += " (on the exit)"
		} else if i := slices.IndexFunc(l.Apples, func(a world.Object) bool { return a.Pos == at }); i >= 0 {
			end += fmt.Sprintf(" (on the %s apple)", l.Apples[i].Colour)
		} else if at == l.Start {
			end += " (on the start)"
		}
		items = append(items, fmt.Sprintf("%c visited", visitedMark), end)
	}
	return "legend: " + strings.Join(items, ", ") + "\n"
}

func savePNG(file, title string, l *world.Level, paths []figure.Path) error {
	p, err := figure.Maze(title, l, paths)
	if err != nil {
		return err
	}
	// Written whole or not at all: a full disk leaves no empty PNG.
	err = data.WriteFileAtomic(file, func(w io.Writer) error { return figure.WritePNG(w, p, figure.Width, figure.Height) })
	if err != nil {
		return fmt.Errorf("--png %s: %w", file, err)
	}
	return nil
}

// choices lists names for an error message, the first few of them.
func choices(names []string) string {
	const most = 6
	switch {
	case len(names) == 0:
		return "none"
	case len(names) <= most:
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, … (%d in all)", strings.Join(names[:most], ", "), len(names))
}
