package cli

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/mesa-alignment/mesa/report"
	"github.com/mesa-alignment/mesa/stats"
)

// defaultWidth is the width of printed tables when stdout is not a
// terminal and $COLUMNS is unset: what fits a wide editor pane or a
// notebook cell without wrapping.
const defaultWidth = 120

// printFlags are the flags of the commands that print a study's tables.
type printFlags struct {
	format     *string
	references *bool
	allMetrics *bool
}

func addPrintFlags(fs flagSet) *printFlags {
	return &printFlags{
		format: fs.String("format", stats.FormatText, "printed tables' `format`: "+strings.Join(stats.Formats(), ", ")+
			" (text fits $COLUMNS, or the terminal, or 120 columns)"),
		references: fs.Bool("references", false, "print the scripted references' full rows in every table, not one compact table"),
		allMetrics: fs.Bool("all-metrics", false, "compare base optimizers on every metric (goal, proxy pursued), not only proxy − control and strength"),
	}
}

// options returns the print options for stdout, or a usage error naming
// the flag.
func (f *printFlags) options(cmd string, stdout io.Writer) (report.PrintOptions, error) {
	if !slices.Contains(stats.Formats(), *f.format) {
		return report.PrintOptions{}, usagef("%s: --format %q: want %s", cmd, *f.format, strings.Join(stats.Formats(), ", "))
	}
	return report.PrintOptions{Format: *f.format, Width: outputWidth(stdout, os.Getenv), References: *f.references, AllMetrics: *f.allMetrics}, nil
}

// outputWidth is the width text tables fit: $COLUMNS if it is a positive
// number, else the terminal's if stdout is one, else defaultWidth.
func outputWidth(stdout io.Writer, getenv func(string) string) int {
	if n, err := strconv.Atoi(getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return defaultWidth
}

// printStudy prints st's tables in opts, then in text a line saying where
// the run and its report are.
func printStudy(st *report.Study, opts report.PrintOptions, stdout io.Writer, where string) error {
	if err := st.Print(stdout, opts); err != nil {
		return err
	}
	if where != "" && (opts.Format == "" || opts.Format == stats.FormatText) {
		_, err := fmt.Fprintf(stdout, "\n%s\n", where)
		return err
	}
	return nil
}
