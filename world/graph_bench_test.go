package world

import "testing"

// BenchmarkGraph builds the floor graph of an 11x11 training level and
// computes the eccentricity of its start, as a planner does on a fresh level.
func BenchmarkGraph(b *testing.B) {
	d, err := Preset("train")
	if err != nil {
		b.Fatal(err)
	}
	d.Width = IntRange{Min: 11, Max: 11}
	l, err := d.Level(1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		g := NewGraph(l)
		g.Eccentricity(l, g.Node[l.Index(l.Start)], nil, nil)
	}
}

// BenchmarkLevel generates 11x11 training levels.
func BenchmarkLevel(b *testing.B) {
	d, err := Preset("train")
	if err != nil {
		b.Fatal(err)
	}
	d.Width = IntRange{Min: 11, Max: 11}
	g, err := NewGenerator(d)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	seed := uint64(0)
	for b.Loop() {
		g.Level(seed)
		seed++
	}
}
