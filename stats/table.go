package stats

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Table is a plain-text table with aligned columns and footnotes, written
// in the manner of benchstat. The zero value is an empty table.
type Table struct {
	Title  string     // a line above the header; may be empty
	Header []string   // column titles; may be nil
	Rows   [][]string // cells; rows may be shorter than others
	Notes  []string   // footnote lines, written after a blank line
	// Width is the most columns WriteTo writes on a line; 0 means no
	// limit. Wider cells wrap onto continuation lines at spaces (a word
	// wider than its column is cut), and so do the title and the notes.
	Width int
}

var _ io.WriterTo = (*Table)(nil)

// AddRow appends a row of cells.
func (t *Table) AddRow(cells ...string) {
	t.Rows = append(t.Rows, cells)
}

// AddNote appends a footnote line.
func (t *Table) AddNote(note string) {
	t.Notes = append(t.Notes, note)
}

// sep is the space between columns.
const sep = 2

// minColumn is the narrowest a column is wrapped to.
const minColumn = 6

// WriteTo writes the table to w: the title, the header, a rule, the rows,
// then the notes after a blank line. Columns are left-aligned and
// separated by two spaces; widths count runes, so "±" and "∞" are one
// column wide. Trailing spaces are not written. When the table is wider
// than Width, the widest columns are narrowed until it fits (none below
// six columns) and their cells wrap. WriteTo returns the number of bytes
// written and the first error from w.
func (t *Table) WriteTo(w io.Writer) (int64, error) {
	var widths []int
	measure := func(row []string) {
		for i, cell := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	measure(t.Header)
	for _, row := range t.Rows {
		measure(row)
	}
	t.fit(widths)

	var b strings.Builder
	for _, l := range Wrap(t.Title, t.Width, "  ") {
		b.WriteString(l + "\n")
	}
	line := func(row []string) {
		cells := make([][]string, len(row))
		n := 0
		for i, cell := range row {
			cells[i] = Wrap(cell, widths[i], "")
			n = max(n, len(cells[i]))
		}
		for k := range n {
			var l strings.Builder
			for i := range row {
				if i > 0 {
					l.WriteString(strings.Repeat(" ", sep))
				}
				part := ""
				if k < len(cells[i]) {
					part = cells[i][k]
				}
				l.WriteString(part)
				l.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(part)))
			}
			b.WriteString(strings.TrimRight(l.String(), " "))
			b.WriteByte('\n')
		}
	}
	if len(t.Header) > 0 {
		line(t.Header)
		total := 0
		for i, wd := range widths {
			if i > 0 {
				total += sep
			}
			total += wd
		}
		b.WriteString(strings.Repeat("─", total))
		b.WriteByte('\n')
	}
	for _, row := range t.Rows {
		line(row)
	}
	if len(t.Notes) > 0 {
		b.WriteByte('\n')
		for _, n := range t.Notes {
			for _, l := range Wrap(n, t.Width, "  ") {
				b.WriteString(l + "\n")
			}
		}
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// fit narrows the widest columns until the table fits t.Width: first
// down to each column's longest word, so that cells wrap between words,
// then, if that is not enough, down to minColumn, cutting words.
func (t *Table) fit(widths []int) {
	if t.Width <= 0 {
		return
	}
	total := sep * max(len(widths)-1, 0)
	for _, wd := range widths {
		total += wd
	}
	words := make([]int, len(widths))
	longest := func(row []string) {
		for i, cell := range row {
			for _, w := range strings.Fields(cell) {
				words[i] = max(words[i], utf8.RuneCountInString(w))
			}
		}
	}
	longest(t.Header)
	for _, row := range t.Rows {
		longest(row)
	}
	for _, floor := range [][]int{words, nil} {
		least := func(i int) int {
			if floor == nil {
				return min(minColumn, widths[i])
			}
			return max(floor[i], min(minColumn, widths[i]))
		}
		for total > t.Width {
			// The widest column with room above its floor gives up to
			// half its room: lists wrap before numbers do.
			best, room := -1, 0
			for i, wd := range widths {
				if r := wd - least(i); r > 0 && (best < 0 || wd > widths[best]) {
					best, room = i, r
				}
			}
			if best < 0 {
				break
			}
			cut := min(total-t.Width, max(room/2, 1))
			widths[best] -= cut
			total -= cut
		}
	}
}

// Wrap breaks s into lines of at most width runes at spaces, cutting
// words wider than a line (after a comma if one fits); continuation lines
// start with indent. A width of 0 or less leaves s whole.
func Wrap(s string, width int, indent string) []string {
	if s == "" {
		return nil
	}
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return []string{s}
	}
	ind := []rune(indent)
	if len(ind) >= width/2 {
		ind = nil
	}
	var lines []string
	var cur []rune
	lead := 0 // the runes of cur that are indentation
	newLine := func() {
		lines = append(lines, string(cur))
		cur, lead = append([]rune{}, ind...), len(ind)
	}
	for _, word := range strings.Fields(s) {
		wr := []rune(word)
		for len(wr) > 0 {
			space := 0
			if len(cur) > lead {
				space = 1
			}
			switch {
			case len(cur)+space+len(wr) <= width:
				if space == 1 {
					cur = append(cur, ' ')
				}
				cur, wr = append(cur, wr...), nil
			case space == 1:
				newLine()
			default: // a word wider than a line: cut after its last comma
				// that fits ("a=1,b=2", a sweep point's label), else where
				// the line ends
				k := width - len(cur)
				if c := lastIndexRune(wr[:k], ','); c > 0 {
					k = c + 1
				}
				cur, wr = append(cur, wr[:k]...), wr[k:]
				newLine()
			}
		}
	}
	if len(cur) > lead {
		lines = append(lines, string(cur))
	}
	return lines
}

// WriteCSV writes the table as CSV (RFC 4180): the header, then the rows,
// each padded to the header's length. Title and notes are not written;
// see Tables for a stream of several tables.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	n := len(t.Header)
	for _, r := range t.Rows {
		n = max(n, len(r))
	}
	pad := func(r []string) []string {
		out := make([]string, n)
		copy(out, r)
		return out
	}
	if len(t.Header) > 0 {
		if err := cw.Write(pad(t.Header)); err != nil {
			return err
		}
	}
	for _, r := range t.Rows {
		if err := cw.Write(pad(r)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// MarshalJSON writes the table as an object: its title, its rows as
// objects keyed by the header (ordered as the header), and its notes.
func (t *Table) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteString(`{"title":`)
	enc := func(v any) error {
		x, err := json.Marshal(v)
		if err == nil {
			b.Write(x)
		}
		return err
	}
	if err := enc(t.Title); err != nil {
		return nil, err
	}
	b.WriteString(`,"columns":`)
	if err := enc(nonNil(t.Header)); err != nil {
		return nil, err
	}
	b.WriteString(`,"rows":[`)
	for i, r := range t.Rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for j, cell := range r {
			if j > 0 {
				b.WriteByte(',')
			}
			key := fmt.Sprintf("column%d", j)
			if j < len(t.Header) {
				key = t.Header[j]
			}
			if err := enc(key); err != nil {
				return nil, err
			}
			b.WriteByte(':')
			if err := enc(cell); err != nil {
				return nil, err
			}
		}
		b.WriteByte('}')
	}
	b.WriteString(`],"notes":`)
	if err := enc(nonNil(t.Notes)); err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// Formats of WriteTables.
const (
	FormatText = "text"
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// Formats lists the formats WriteTables writes.
func Formats() []string { return []string{FormatText, FormatCSV, FormatJSON} }

// WriteTables writes tables to w in format: text (each table's WriteTo,
// a blank line between tables), csv (each table's title as a "# title"
// line, then its CSV, a blank line between tables), or json (one array of
// the tables' objects, indented).
func WriteTables(w io.Writer, format string, tables []*Table) error {
	switch format {
	case FormatText, "":
		for i, t := range tables {
			if i > 0 {
				if _, err := io.WriteString(w, "\n"); err != nil {
					return err
				}
			}
			if _, err := t.WriteTo(w); err != nil {
				return err
			}
		}
		return nil
	case FormatCSV:
		for i, t := range tables {
			if i > 0 {
				if _, err := io.WriteString(w, "\n"); err != nil {
					return err
				}
			}
			if t.Title != "" {
				if _, err := fmt.Fprintf(w, "# %s\n", strings.ReplaceAll(t.Title, "\n", " ")); err != nil {
					return err
				}
			}
			if err := t.WriteCSV(w); err != nil {
				return err
			}
		}
		return nil
	case FormatJSON:
		if tables == nil {
			tables = []*Table{}
		}
		b, err := json.MarshalIndent(tables, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	return fmt.Errorf("stats: unknown table format %q (want text, csv or json)", format)
}

// lastIndexRune returns the index of the last r in rs, or -1.
func lastIndexRune(rs []rune, r rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == r {
			return i
		}
	}
	return -1
}
