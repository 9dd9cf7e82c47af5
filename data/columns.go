package data

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// A colBuffer holds the values of one column for the batch being built.
type colBuffer interface {
	// truncate drops the values of rows n and later.
	truncate(n int)
	// build returns the batch's values as an Arrow array and empties the
	// buffer, keeping its capacity for the next batch.
	build(mem memory.Allocator) arrow.Array
	// release frees any Arrow memory the buffer holds.
	release()
}

func newColBuffer(c column, vocab map[string][]string, mem memory.Allocator) (colBuffer, error) {
	if c.vocab != "" {
		return newDictBuffer(c, vocab[c.vocab], mem)
	}
	switch c.typ.ID() {
	case arrow.INT16:
		return &vec[int16]{typ: c.typ}, nil
	case arrow.INT32:
		return &vec[int32]{typ: c.typ}, nil
	case arrow.INT64:
		return &vec[int64]{typ: c.typ}, nil
	case arrow.UINT64:
		return &vec[uint64]{typ: c.typ}, nil
	case arrow.FLOAT64:
		return &vec[float64]{typ: c.typ}, nil
	case arrow.BOOL:
		return &vec[bool]{typ: c.typ}, nil
	case arrow.STRING:
		return &vec[string]{typ: c.typ}, nil
	}
	switch c.name {
	case "params":
		return &listBuffer[float64]{typ: c.typ, elems: func(b array.Builder, xs []float64) {
			b.(*array.Float64Builder).AppendValues(xs, nil)
		}, reserve: func(b array.Builder, all []float64) {
			b.Reserve(len(all))
		}}, nil
	case "param_names":
		return &listBuffer[string]{typ: c.typ, elems: func(b array.Builder, xs []string) {
			b.(*array.StringBuilder).AppendValues(xs, nil)
		}, reserve: func(b array.Builder, all []string) {
			n := 0
			for _, s := range all {
				n += len(s)
			}
			sb := b.(*array.StringBuilder)
			sb.Reserve(len(all))
			sb.ReserveData(n)
		}}, nil
	case "mesa_objective":
		return &listBuffer[Weight]{typ: c.typ, elems: func(b array.Builder, ws []Weight) {
			sb := b.(*array.StructBuilder)
			fb, wb := sb.FieldBuilder(0).(*array.StringBuilder), sb.FieldBuilder(1).(*array.Float64Builder)
			for _, w := range ws {
				sb.Append(true)
				fb.Append(w.Feature)
				wb.Append(w.Weight)
			}
		}}, nil
	case "graded":
		return &listBuffer[GradedPoint]{typ: c.typ, elems: func(b array.Builder, ps []GradedPoint) {
			sb := b.(*array.StructBuilder)
			ob, eb := sb.FieldBuilder(0).(*array.Int32Builder), sb.FieldBuilder(1).(*array.Int32Builder)
			tb, xb := sb.FieldBuilder(2).(*array.Int32Builder), sb.FieldBuilder(3).(*array.Int32Builder)
			for _, p := range ps {
				sb.Append(true)
				ob.Append(int32(p.Offset)) // checked by appendAttribution
				eb.Append(int32(p.Episodes))
				tb.Append(int32(p.TargetFirst))
				xb.Append(int32(p.ExitFirst))
			}
		}}, nil
	case "targets":
		return &listBuffer[TargetVisit]{typ: c.typ, elems: func(b array.Builder, vs []TargetVisit) {
			sb := b.(*array.StructBuilder)
			tb := sb.FieldBuilder(0).(*array.StringBuilder)
			stb, pb := sb.FieldBuilder(1).(*array.Int32Builder), sb.FieldBuilder(2).(*array.BooleanBuilder)
			for _, v := range vs {
				sb.Append(true)
				tb.Append(v.Target)
				stb.Append(int32(v.Step)) // checked by appendEpisode
				pb.Append(v.Pursued)
			}
		}}, nil
	}
	return nil, fmt.Errorf("%s: no buffer for type %s", c.name, c.typ)
}

// valuesBuilder is an Arrow builder that takes a slice of values in bulk.
type valuesBuilder[T any] interface {
	array.Builder
	AppendValues(v []T, valid []bool)
}

// A vec buffers a primitive or string column. valid is kept only once the
// batch has a null, so that all-valid columns cost one append per value.
type vec[T any] struct {
	typ   arrow.DataType
	v     []T
	valid []bool
	nulls int
}

func (c *vec[T]) add(x T) {
	c.v = append(c.v, x)
	if c.nulls > 0 {
		c.valid = append(c.valid, true)
	}
}

// addOrNull appends x, or a null if null.
func (c *vec[T]) addOrNull(x T, null bool) {
	if !null {
		c.add(x)
		return
	}
	if c.nulls == 0 {
		c.valid = c.valid[:0]
		for range c.v {
			c.valid = append(c.valid, true)
		}
	}
	var zero T
	c.v = append(c.v, zero)
	c.valid = append(c.valid, false)
	c.nulls++
}

func (c *vec[T]) truncate(n int) {
	if n >= len(c.v) {
		return
	}
	c.v = c.v[:n]
	if c.nulls > 0 {
		c.valid = c.valid[:n]
		c.nulls = 0
		for _, ok := range c.valid {
			if !ok {
				c.nulls++
			}
		}
	}
}

func (c *vec[T]) build(mem memory.Allocator) arrow.Array {
	b := array.NewBuilder(mem, c.typ).(valuesBuilder[T])
	defer b.Release()
	var valid []bool
	if c.nulls > 0 {
		valid = c.valid
	}
	b.AppendValues(c.v, valid)
	clear(c.v) // drop string references
	c.v, c.valid, c.nulls = c.v[:0], c.valid[:0], 0
	return b.NewArray()
}

func (c *vec[T]) release() {}

// A dictBuffer buffers the indices of a dictionary column, whose
// vocabulary is fixed for the file.
type dictBuffer struct {
	typ      *arrow.DictionaryType
	nullable bool
	dict     *dictionary
	values   arrow.Array // the dictionary, shared by every batch
	idx      vec[int16]
	idx8     []int8
	// used marks the values of values the batches built so far use.
	used []bool
}

func newDictBuffer(c column, vocab []string, mem memory.Allocator) (*dictBuffer, error) {
	dt := c.typ.(*arrow.DictionaryType)
	d, err := newDictionary(c.name, vocab)
	if err != nil {
		return nil, err
	}
	if limit := 1<<(8*dt.IndexType.(arrow.FixedWidthDataType).Bytes()-1) - 1; len(d.values) > limit {
		return nil, fmt.Errorf("%s: %d names exceed the dictionary's %d", c.name, len(d.values), limit)
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.AppendValues(d.values, nil)
	return &dictBuffer{typ: dt, nullable: c.nullable, dict: d, values: b.NewArray(),
		idx: vec[int16]{typ: arrow.PrimitiveTypes.Int16}, used: make([]bool, len(d.values))}, nil
}

// add appends the index of v; "" is null in a nullable column. A value
// outside the vocabulary appends a placeholder (the row is then dropped by
// truncate) and returns an error.
func (c *dictBuffer) add(v string) error {
	if v == "" && c.nullable {
		c.idx.addOrNull(0, true)
		return nil
	}
	i, err := c.dict.lookup(v)
	c.idx.add(int16(i))
	return err
}

func (c *dictBuffer) truncate(n int) { c.idx.truncate(n) }

// mark records the values the buffered rows use.
func (c *dictBuffer) mark() {
	for j, i := range c.idx.v {
		if c.idx.nulls == 0 || c.idx.valid[j] {
			c.used[i] = true
		}
	}
}

// usedOnly returns, if the batches built use fewer values than the
// dictionary holds, the new index of each value (-1 for unused ones) and
// the dictionary of the values used, in dictionary order; nil, nil if
// they use them all. The caller releases the array.
func (c *dictBuffer) usedOnly(mem memory.Allocator) ([]int, arrow.Array) {
	if !slices.Contains(c.used, false) {
		return nil, nil
	}
	remap := make([]int, len(c.used))
	b := array.NewStringBuilder(mem)
	defer b.Release()
	n := 0
	for i, u := range c.used {
		remap[i] = -1
		if u {
			remap[i] = n
			n++
			b.Append(c.dict.values[i])
		}
	}
	return remap, b.NewArray()
}

// restrict makes the dictionary the values the buffered rows use, and
// renumbers their indices: the first and only batch of a file then
// carries no value the file does not use. Values added afterwards are
// refused as outside the vocabulary.
func (c *dictBuffer) restrict(mem memory.Allocator) {
	c.mark()
	remap, vals := c.usedOnly(mem)
	if remap == nil {
		return
	}
	for j, i := range c.idx.v {
		if c.idx.nulls == 0 || c.idx.valid[j] {
			c.idx.v[j] = int16(remap[i])
		}
	}
	kept := make([]string, 0, vals.Len())
	for i, u := range c.used {
		if u {
			kept = append(kept, c.dict.values[i])
		}
	}
	c.dict, _ = newDictionary(c.dict.column, kept)
	c.used = make([]bool, len(kept))
	c.values.Release()
	c.values = vals
}

func (c *dictBuffer) build(mem memory.Allocator) arrow.Array {
	c.mark()
	var idx arrow.Array
	if c.typ.IndexType.ID() == arrow.INT8 {
		c.idx8 = c.idx8[:0]
		for _, i := range c.idx.v {
			c.idx8 = append(c.idx8, int8(i))
		}
		b := array.NewInt8Builder(mem)
		var valid []bool
		if c.idx.nulls > 0 {
			valid = c.idx.valid
		}
		b.AppendValues(c.idx8, valid)
		idx = b.NewArray()
		b.Release()
		c.idx.v, c.idx.valid, c.idx.nulls = c.idx.v[:0], c.idx.valid[:0], 0
	} else {
		idx = c.idx.build(mem)
	}
	defer idx.Release()
	return array.NewDictionaryArray(c.typ, idx, c.values)
}

func (c *dictBuffer) release() {
	if c.values != nil {
		c.values.Release()
		c.values = nil
	}
}

// A listBuffer buffers a list column: the elements of every row, flat,
// with row offsets; elems appends a row's elements to the list's value
// builder.
type listBuffer[T any] struct {
	typ     arrow.DataType
	offsets []int // offsets[i] is the start of row i
	values  []T
	null    []bool
	elems   func(b array.Builder, xs []T)
	// reserve, if not nil, sizes the value builder for all rows at once:
	// string builders grow their data buffer to exactly what each append
	// needs, so appending row by row without it is quadratic (agents rows
	// of a 1216-parameter family took seconds per batch).
	reserve func(b array.Builder, all []T)
}

func (c *listBuffer[T]) add(xs []T, null bool) {
	c.offsets = append(c.offsets, len(c.values))
	c.values = append(c.values, xs...)
	c.null = append(c.null, null)
}

func (c *listBuffer[T]) truncate(n int) {
	if n >= len(c.offsets) {
		return
	}
	c.values = c.values[:c.offsets[n]]
	c.offsets, c.null = c.offsets[:n], c.null[:n]
}

func (c *listBuffer[T]) build(mem memory.Allocator) arrow.Array {
	b := array.NewBuilder(mem, c.typ).(*array.ListBuilder)
	defer b.Release()
	vb := b.ValueBuilder()
	b.Reserve(len(c.offsets))
	if c.reserve != nil {
		c.reserve(vb, c.values)
	}
	for i, start := range c.offsets {
		end := len(c.values)
		if i+1 < len(c.offsets) {
			end = c.offsets[i+1]
		}
		if c.null[i] {
			b.AppendNull()
			continue
		}
		b.Append(true)
		c.elems(vb, c.values[start:end])
	}
	clear(c.values)
	c.offsets, c.values, c.null = c.offsets[:0], c.values[:0], c.null[:0]
	return b.NewArray()
}

func (c *listBuffer[T]) release() {}
