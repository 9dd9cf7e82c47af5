package stats

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTableWidth writes tables wider than their Width: every line fits,
// and, where the columns are wider than the longest word, no cell's text
// is lost (its words are all on the page, in order).
func TestTableWidth(t *testing.T) {
	long := "region_bottom_right +0.17 ± 0.16, colour_green* +0.147 ± 0.062, region_top_left -0.10 ± 0.22, kind_exit* +0.09 ± 0.22"
	for _, width := range []int{40, 80, 120} {
		tab := &Table{
			Title:  strings.Repeat("a title that goes on ", 10),
			Header: []string{"optimizer", "family", "weights", "unidentified"},
			Rows: [][]string{
				{"ga", "planner", long, "colour_green − kind_exit +0.06 ± 0.21, colour_purple -0.08 ± 0.24"},
				{"sgd", "planner", "kind_exit* +0.293 ± 0.081", "-"},
				{"none", "a-very-long-unbreakable-family-name-indeed-longer-than-forty"},
			},
			Notes: []string{strings.Repeat("a note that also goes on and on ", 8)},
			Width: width,
		}
		var b bytes.Buffer
		if _, err := tab.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			if n := utf8.RuneCountInString(l); n > width {
				t.Errorf("width %d: line of %d: %q", width, n, l)
			}
		}
		if width < 80 {
			continue // narrower, long words are cut
		}
		words := strings.Fields(b.String())
		i := 0
		for _, w := range strings.Fields(long) {
			for i < len(words) && words[i] != w {
				i++
			}
			if i == len(words) {
				t.Errorf("width %d: %q of the weights cell lost:\n%s", width, w, b.String())
				break
			}
		}
	}
	// Without a width nothing wraps.
	tab := &Table{Header: []string{"a"}, Rows: [][]string{{strings.Repeat("x ", 200)}}}
	var b bytes.Buffer
	tab.WriteTo(&b)
	if n := strings.Count(b.String(), "\n"); n != 3 {
		t.Errorf("no width: %d lines, want 3", n)
	}
}

func TestTableFormats(t *testing.T) {
	tabs := []*Table{
		{Title: "Outcomes", Header: []string{"optimizer", "goal"}, Rows: [][]string{{"ga", "99.1% ± 2.2%"}, {"sgd, \"x\""}}, Notes: []string{"n"}},
		{Header: []string{"a"}},
	}
	var b bytes.Buffer
	if err := WriteTables(&b, FormatCSV, tabs); err != nil {
		t.Fatal(err)
	}
	if want := "# Outcomes\noptimizer,goal\nga,99.1% ± 2.2%\n\"sgd, \"\"x\"\"\",\n\na\n"; b.String() != want {
		t.Errorf("csv:\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := WriteTables(&b, FormatJSON, tabs); err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Title   string
		Columns []string
		Rows    []map[string]string
		Notes   []string
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(got) != 2 || got[0].Title != "Outcomes" || got[0].Rows[0]["goal"] != "99.1% ± 2.2%" || got[0].Rows[1]["optimizer"] != `sgd, "x"` ||
		got[1].Rows == nil || got[1].Notes == nil || got[0].Notes[0] != "n" {
		t.Errorf("json %+v", got)
	}
	if err := WriteTables(&b, "yaml", tabs); err == nil || !strings.Contains(err.Error(), `"yaml"`) {
		t.Errorf("unknown format: %v", err)
	}
}

// TestWrap: lines break at spaces, a word wider than a line after its last
// comma that fits (a sweep point's label), else where the line ends, and
// continuation lines are indented.
func TestWrap(t *testing.T) {
	for _, tt := range []struct {
		s      string
		width  int
		indent string
		want   []string
	}{
		{"short", 10, "", []string{"short"}},
		{"a bb ccc dddd", 6, "", []string{"a bb", "ccc", "dddd"}},
		{"a bb ccc dddd", 6, "  ", []string{"a bb", "  ccc", "  dddd"}},
		{"train.randomize=0.01,train.curriculum.name=random", 36, "",
			[]string{"train.randomize=0.01,", "train.curriculum.name=random"}},
		{"abcdefghij", 4, "", []string{"abcd", "efgh", "ij"}},
		{",abcdefg", 4, "", []string{",abc", "defg"}},
		{"whole", 0, "", []string{"whole"}},
	} {
		if got := Wrap(tt.s, tt.width, tt.indent); !slices.Equal(got, tt.want) {
			t.Errorf("Wrap(%q, %d, %q) = %q, want %q", tt.s, tt.width, tt.indent, got, tt.want)
		}
	}
}
