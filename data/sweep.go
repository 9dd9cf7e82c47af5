package data

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// A Param is a sweep parameter: a config path the sweep varies. Every
// table of the run has a column for it, named ParamColumnPrefix + Path.
type Param struct {
	// Path is the config path, e.g. "train.randomize": printable, without
	// spaces.
	Path string `json:"path"`
	// Numeric parameters are float64 columns; the others are dictionary
	// columns of their values as text, whose vocabulary is the values
	// RunInfo.Points gives the parameter, in order of first appearance.
	Numeric bool `json:"numeric"`
}

// A PointInfo is one point of a sweep: its index (the point column) and
// the value of each parameter as text, by Param.Path.
type PointInfo struct {
	Index  int               `json:"index"`
	Values map[string]string `json:"values"`
}

// A sweep is a run's parameters and points, checked.
type sweep struct {
	params []Param
	points map[int]PointInfo
	// vocab holds the vocabulary of each text parameter, by column name.
	vocab map[string][]string
}

// newSweep checks the Params and Points of info: paths valid and distinct,
// points with distinct indices in [0, MaxInt32], each giving every
// parameter a value and nothing else, numeric values finite numbers, text
// values not empty. Points may not be given without Params' values, nor
// Params without Points.
func newSweep(info *RunInfo) (*sweep, error) {
	s := &sweep{params: info.Params, points: map[int]PointInfo{}, vocab: map[string][]string{}}
	seen := map[string]bool{}
	for i, p := range info.Params {
		switch {
		case p.Path == "" || strings.IndexFunc(p.Path, func(r rune) bool { return !unicode.IsPrint(r) || unicode.IsSpace(r) }) >= 0:
			return nil, fmt.Errorf("RunInfo.Params[%d]: path %q is empty or has spaces or unprintable characters", i, p.Path)
		case seen[p.Path]:
			return nil, fmt.Errorf("RunInfo.Params[%d]: path %q appears twice", i, p.Path)
		}
		seen[p.Path] = true
	}
	if len(info.Params) > 0 && len(info.Points) == 0 {
		return nil, fmt.Errorf("RunInfo.Params without RunInfo.Points: give the sweep's points")
	}
	cols := paramColumns(info.Params)
	known := map[string]map[string]bool{} // by column, the values in vocab
	for _, c := range cols {
		known[c.name] = map[string]bool{}
	}
	for i, pt := range info.Points {
		where := fmt.Sprintf("RunInfo.Points[%d] (point %d)", i, pt.Index)
		if pt.Index < 0 || pt.Index > math.MaxInt32 {
			return nil, fmt.Errorf("%s: index out of range [0, %d]", where, math.MaxInt32)
		}
		if _, dup := s.points[pt.Index]; dup {
			return nil, fmt.Errorf("%s: index %d appears twice", where, pt.Index)
		}
		for path := range pt.Values {
			if !seen[path] {
				return nil, fmt.Errorf("%s: value for %q, which is not among RunInfo.Params", where, path)
			}
		}
		for k, p := range info.Params {
			v, ok := pt.Values[p.Path]
			if !ok {
				return nil, fmt.Errorf("%s: no value for param %s", where, p.Path)
			}
			if _, err := parseValue(p, v); err != nil {
				return nil, fmt.Errorf("%s: %v", where, err)
			}
			if name := cols[k].name; !p.Numeric && !known[name][v] {
				known[name][v] = true
				s.vocab[name] = append(s.vocab[name], v)
			}
		}
		s.points[pt.Index] = pt
	}
	return s, nil
}

// parseValue checks the text value v of parameter p, returning it as a
// number if p is numeric.
func parseValue(p Param, v string) (float64, error) {
	if !p.Numeric {
		if v == "" {
			return 0, fmt.Errorf("param %s: empty value", p.Path)
		}
		return 0, nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, fmt.Errorf("param %s: %q is not a finite number", p.Path, v)
	}
	return x, nil
}

// A point is the values a Writer writes into the point and param columns
// of every row it appends.
type point struct {
	set   bool
	index int32
	nums  []float64 // by parameter; used for numeric ones
	texts []string  // by parameter; used for text ones
}

// point returns the point of index with the given values, checked against
// the parameters and against the point's entry in the run's points.
func (s *sweep) point(index int, values []string) (point, error) {
	if len(values) != len(s.params) {
		return point{}, fmt.Errorf("%d values for %d params", len(values), len(s.params))
	}
	want, ok := s.points[index]
	if !ok {
		return point{}, fmt.Errorf("point %d is not among RunInfo.Points", index)
	}
	p := point{set: true, index: int32(index), nums: make([]float64, len(values)), texts: slices.Clone(values)}
	for k, prm := range s.params {
		x, err := parseValue(prm, values[k])
		if err != nil {
			return point{}, err
		}
		w, _ := parseValue(prm, want.Values[prm.Path]) // checked by newSweep
		if (prm.Numeric && x != w) || (!prm.Numeric && values[k] != want.Values[prm.Path]) {
			return point{}, fmt.Errorf("param %s is %q at point %d, but RunInfo.Points gives %q", prm.Path, values[k], index, want.Values[prm.Path])
		}
		p.nums[k] = x
	}
	return p, nil
}

// SetPoint makes index the sweep point of every row appended from now on,
// until the next SetPoint: their point column holds index and their param
// columns hold values, one per RunInfo.Params in order, as text (numeric
// ones are parsed). The point and its values must be among RunInfo.Points.
// A bad value is an error naming the param, and the current point is kept.
//
// A run with Params must call SetPoint before it appends rows. A run
// without them writes point 0 until SetPoint (with nil values) chooses
// another of its Points. A row whose Point field is not 0 must match the
// current point. SetPoint applies to every table; rows from concurrent
// goroutines take the point current when they are appended.
func (w *Writer) SetPoint(index int, values []string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usable(); err != nil {
		return err
	}
	p, err := w.sweep.point(index, values)
	if err != nil {
		return fmt.Errorf("data: set point %d: %w", index, err)
	}
	*w.point = p
	return nil
}

// appendPoint appends the point and param columns of a row of point
// rowPoint to t, whose point column is col.
func (t *tableWriter) appendPoint(c *rowCheck, col, rowPoint int) {
	p := t.point
	if rowPoint != 0 && rowPoint != int(p.index) {
		c.fail(col, "a row of point %d appended at point %d (Writer.SetPoint)", rowPoint, p.index)
	}
	vecAt[int32](t, col).add(p.index)
	for k, prm := range t.params {
		if prm.Numeric {
			vecAt[float64](t, col+1+k).add(p.nums[k])
		} else {
			c.dict(col+1+k, p.texts[k])
		}
	}
}
