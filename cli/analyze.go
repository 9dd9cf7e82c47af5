package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mesa-alignment/mesa/report"
)

// analyzeCmd is `mesa analyze DIR... [--out DIR] [--partial] [--no-figures]`:
// the tables of one or more runs, from their Arrow files alone, printed
// and written as report.md with figures.
func analyzeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("analyze", stderr)
	out := fs.String("out", "", "`directory` for report.md and the figures (default: DIR/report of the first run)")
	partial := fs.Bool("partial", false, "analyze runs that are not complete: their finished tables, or a sweep's complete units")
	noFigures := fs.Bool("no-figures", false, "write report.md without figures")
	quiet := fs.Bool("quiet", false, "do not print the tables")
	pf := addPrintFlags(fs)
	// Flags may follow the directories: parse, take the positional
	// arguments, parse the rest.
	var dirs []string
	rest := args
	for {
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		dirs = append(dirs, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(dirs) == 0 {
		return usagef("analyze: give one or more run directories")
	}
	popts, err := pf.options("analyze", stdout)
	if err != nil {
		return err
	}
	st, err := report.Load(dirs, report.Options{Partial: *partial, Context: ctx, Registry: registryOf(ctx)})
	if err != nil {
		return err
	}
	if !*quiet {
		if err := printStudy(st, popts, stdout, ""); err != nil {
			return err
		}
	}
	// "" writes into report/ of the first run, never through a symbolic
	// link there.
	rs := newReplayers(registryOf(ctx))
	defer rs.close()
	files, err := st.Write(*out, report.WriteOptions{
		NoFigures: *noFigures,
		Replayer:  rs,
		Command:   "mesa analyze " + strings.Join(args, " "),
		Context:   ctx,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "mesa: analyze: wrote %s (%d figures)\n", files[len(files)-1], len(files)-1)
	return nil
}
