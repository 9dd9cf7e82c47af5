package figure

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot"
)

var update = flag.Bool("update", false, "rewrite the golden PNGs in testdata")

// nan is a missing bound.
var nan = math.NaN()

// render draws p at the standard size and returns the PNG bytes.
func render(t *testing.T, p *plot.Plot) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WritePNG(&b, p, Width, Height); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// samePixels reports the first pixel where a and b differ, if any.
func samePixels(a, b image.Image) (image.Point, bool) {
	if a.Bounds() != b.Bounds() {
		return a.Bounds().Max, false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return image.Point{x, y}, false
			}
		}
	}
	return image.Point{}, true
}

// golden compares the rendering of p with testdata/name.png, pixel by pixel,
// or rewrites it with -update. It also checks that rendering is
// deterministic.
func golden(t *testing.T, name string, p *plot.Plot) {
	t.Helper()
	got := render(t, p)
	img := decode(t, got)
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 500 {
		t.Errorf("image is %v, want 800×500", b)
	}
	if at, ok := samePixels(img, decode(t, render(t, p))); !ok {
		t.Fatalf("two renderings differ at %v", at)
	}
	path := filepath.Join("testdata", name+".png")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if at, ok := samePixels(img, decode(t, want)); !ok {
		bad := filepath.Join(t.TempDir(), name+".png")
		_ = os.WriteFile(bad, got, 0o644)
		t.Errorf("%s differs from the golden image at pixel %v; got %s (run go test -update if the change is intended)", path, at, bad)
	}
}
