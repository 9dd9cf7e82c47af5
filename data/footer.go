package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	flatbuffers "github.com/google/flatbuffers/go"
)

// checkFooter guards arrow-go v18.8.0 against corrupt footers it cannot
// survive. Its schema decoder (arrow/ipc/metadata.go: fieldFromFB,
// schemaFromFB, metadataFromFB) allocates slices sized by vector lengths
// read from the file and recurses into child fields without a bound, so a
// few flipped bytes ask for hundreds of gigabytes or make a cycle of
// fields: "fatal error: runtime: out of memory" or a stack overflow, which
// no recover catches (found by FuzzReadEpisodes). Before arrow-go sees the
// footer, checkFooter walks the vectors it will size allocations by, and
// the fields it will recurse into, and checks that each fits in the footer
// and that the walk terminates. Anything else wrong with the footer is
// left for arrow-go to report.
func checkFooter(r io.ReaderAt, size int64) (err error) {
	const tail = 10 // int32 footer length, then "ARROW1"
	if size < tail {
		return nil
	}
	var end [tail]byte
	if _, err := r.ReadAt(end[:], size-tail); err != nil {
		return nil
	}
	n := int64(binary.LittleEndian.Uint32(end[:4]))
	if !bytes.Equal(end[4:], []byte("ARROW1")) || n <= 0 || n > size-tail {
		return nil
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, size-tail-n); err != nil {
		return nil
	}
	defer func() {
		// flatbuffers-go does not bounds-check; an offset outside the
		// footer panics here exactly as it would in arrow-go.
		if p := recover(); p != nil {
			err = fmt.Errorf("corrupt footer: %v", p)
		}
	}()
	w := footerWalk{buf: buf, budget: len(buf) / 4}
	footer := w.root()
	if schema, ok := w.table(footer, 6); ok {
		if err := w.vector(schema, 8, 4); err != nil { // custom_metadata
			return err
		}
		if err := w.fields(schema, 6, 0); err != nil {
			return err
		}
	}
	if err := w.vector(footer, 8, 24); err != nil { // dictionaries: Block structs
		return err
	}
	return w.vector(footer, 10, 24) // record batches
}

type footerWalk struct {
	buf    []byte
	budget int // fields left to visit: each takes at least 4 bytes of footer
}

func (w *footerWalk) root() flatbuffers.Table {
	return flatbuffers.Table{Bytes: w.buf, Pos: flatbuffers.GetUOffsetT(w.buf)}
}

// table returns the sub-table in the given vtable slot of t.
func (w *footerWalk) table(t flatbuffers.Table, slot flatbuffers.VOffsetT) (flatbuffers.Table, bool) {
	o := flatbuffers.UOffsetT(t.Offset(slot))
	if o == 0 {
		return flatbuffers.Table{}, false
	}
	return flatbuffers.Table{Bytes: w.buf, Pos: t.Indirect(o + t.Pos)}, true
}

// vector checks that the vector in the given slot of t, of elements of
// elem bytes, lies inside the footer.
func (w *footerWalk) vector(t flatbuffers.Table, slot flatbuffers.VOffsetT, elem int) error {
	o := flatbuffers.UOffsetT(t.Offset(slot))
	if o == 0 {
		return nil
	}
	start, n := int(t.Vector(o)), t.VectorLen(o)
	if n < 0 || start < 0 || start > len(w.buf) || n > (len(w.buf)-start)/elem {
		return fmt.Errorf("corrupt footer: a vector of %d elements overruns the %d-byte footer", n, len(w.buf))
	}
	return nil
}

// fields checks the vector of fields in the given slot of t and, through
// their children, every field below, at most depth 64 (as arrow-go's
// writer nests) and at most budget fields in all.
func (w *footerWalk) fields(t flatbuffers.Table, slot flatbuffers.VOffsetT, depth int) error {
	if depth > 64 {
		return errors.New("corrupt footer: fields nest deeper than 64")
	}
	if err := w.vector(t, slot, 4); err != nil {
		return err
	}
	o := flatbuffers.UOffsetT(t.Offset(slot))
	if o == 0 {
		return nil
	}
	start, n := t.Vector(o), t.VectorLen(o)
	for i := range n {
		if w.budget--; w.budget < 0 {
			return errors.New("corrupt footer: more fields than the footer can hold (a cycle)")
		}
		at := start + flatbuffers.UOffsetT(i)*4
		f := flatbuffers.Table{Bytes: w.buf, Pos: t.Indirect(at)}
		if err := w.vector(f, 16, 4); err != nil { // custom_metadata
			return err
		}
		if f.GetByteSlot(8, 0) == 14 { // type is a Union: its type ids
			if u, ok := w.table(f, 10); ok {
				if err := w.vector(u, 6, 4); err != nil {
					return err
				}
			}
		}
		if err := w.fields(f, 14, depth+1); err != nil { // children
			return err
		}
	}
	return nil
}
