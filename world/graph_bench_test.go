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

// BenchmarkGraphBuild builds the graphs of 256 training levels in turn into
// one Graph, as a planner does when every episode has a fresh level.
func BenchmarkGraphBuild(b *testing.B) {
	d, err := Preset("train")
	if err != nil {
		b.Fatal(err)
	}
	gen, err := NewGenerator(d)
	if err != nil {
		b.Fatal(err)
	}
	levels := make([]*Level, 256)
	for i := range levels {
		levels[i] = gen.Level(uint64(i))
	}
	var g Graph
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		g.Build(levels[i%len(levels)])
		i++
	}
}
