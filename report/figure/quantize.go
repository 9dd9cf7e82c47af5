package figure

import (
	"cmp"
	"image"
	"image/color"
	"slices"
)

// paletted returns img with at most 256 colours: the 256 most frequent
// colours of img, every other colour replaced by its nearest one among
// them. Figures are mostly flat colours; the replaced ones are the
// anti-aliased edges, whose change is invisible, and the PNG shrinks to a
// byte per pixel. The result depends only on img.
func paletted(img *image.RGBA) *image.Paletted {
	r := img.Bounds()
	count := make(map[color.RGBA]int)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			count[color.RGBA{row[i], row[i+1], row[i+2], row[i+3]}]++
		}
	}
	type freq struct {
		c color.RGBA
		n int
	}
	all := make([]freq, 0, len(count))
	for c, n := range count {
		all = append(all, freq{c, n})
	}
	slices.SortFunc(all, func(a, b freq) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(pack(a.c), pack(b.c))
	})
	pal := make(color.Palette, 0, 256)
	for _, f := range all[:min(256, len(all))] {
		pal = append(pal, f.c)
	}
	index := make(map[color.RGBA]uint8, len(all))
	for i, f := range all {
		if i < len(pal) {
			index[f.c] = uint8(i)
			continue
		}
		best, bestD := 0, int(^uint(0)>>1)
		for j, p := range pal {
			q := p.(color.RGBA)
			d := sq(int(f.c.R)-int(q.R)) + sq(int(f.c.G)-int(q.G)) + sq(int(f.c.B)-int(q.B)) + sq(int(f.c.A)-int(q.A))
			if d < bestD {
				best, bestD = j, d
			}
		}
		index[f.c] = uint8(best)
	}
	out := image.NewPaletted(r, pal)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		dst := out.Pix[out.PixOffset(r.Min.X, y):]
		for i := 0; i < len(row); i += 4 {
			dst[i/4] = index[color.RGBA{row[i], row[i+1], row[i+2], row[i+3]}]
		}
	}
	return out
}

func pack(c color.RGBA) uint32 {
	return uint32(c.R)<<24 | uint32(c.G)<<16 | uint32(c.B)<<8 | uint32(c.A)
}

func sq(x int) int { return x * x }
