package world_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/mesa-alignment/mesa/world"
)

// graphLevels returns levels of every preset, with loops, rectangles and
// odd corner regions among them, and the fixtures.
func graphLevels(t *testing.T) []*world.Level {
	t.Helper()
	var levels []*world.Level
	for _, name := range world.PresetNames() {
		d := preset(t, name)
		variants := []world.Distribution{d}
		v := d
		v.Loops, v.Height = 0.3, world.IntRange{Min: 5, Max: 13}
		variants = append(variants, v)
		for _, d := range variants {
			g, err := world.NewGenerator(d)
			if err != nil {
				t.Fatal(err)
			}
			for seed := range uint64(8) {
				levels = append(levels, g.Level(seed))
			}
		}
	}
	for _, fx := range fixtures(t) {
		l, err := world.Parse(fx.text)
		if err != nil {
			t.Fatalf("%s: %v", fx.path, err)
		}
		levels = append(levels, l)
	}
	return levels
}

// TestGraph checks a level's graph against the level: nodes and cells,
// coordinates, successors, groups and neighbour columns, objects,
// eccentricities against Level.Distances, and Planes.AppendRegions against the
// corner features Planes.Observe writes.
func TestGraph(t *testing.T) {
	for i, l := range graphLevels(t) {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			g := world.NewGraph(l)
			if g.N != l.FloorCells() || len(g.Cell) != g.N || g.Group[0] != 0 || g.Group[world.NumActions+1] != g.N {
				t.Fatalf("%d nodes, %d floor cells, groups %v", g.N, l.FloorCells(), g.Group)
			}
			off := l.Offsets()
			for j, c := range g.Cell {
				if g.Node[c] != int32(j) || l.Walls[c] {
					t.Fatalf("node %d: cell %d maps back to %d", j, c, g.Node[c])
				}
				if p := l.Point(int(c)); p != (world.Point{X: int(g.X[j]), Y: int(g.Y[j])}) {
					t.Fatalf("node %d: at %v, graph says (%d,%d)", j, p, g.X[j], g.Y[j])
				}
				var nb []int32
				for a, o := range off {
					want := g.Node[int(c)+o]
					if want < 0 {
						want = int32(j)
					} else {
						nb = append(nb, want)
					}
					if got := g.Succ[world.NumActions*j+a]; got != want {
						t.Fatalf("node %d action %d: successor %d, want %d", j, a, got, want)
					}
				}
				m := len(nb)
				if j < g.Group[m] || j >= g.Group[m+1] {
					t.Fatalf("node %d with %d neighbours outside group [%d, %d)", j, m, g.Group[m], g.Group[m+1])
				}
				for k, want := range nb {
					if got := g.Neighbour[k][j]; got != want {
						t.Fatalf("node %d: neighbour %d is %d, want %d", j, k, got, want)
					}
				}
			}
			for i := range l.Walls {
				if l.Walls[i] && g.Node[i] != -1 {
					t.Fatalf("wall cell %d has node %d", i, g.Node[i])
				}
			}
			if g.Cell[g.Exit] != int32(l.Index(l.Exit.Pos)) {
				t.Fatal("exit node")
			}
			for j, a := range l.Apples {
				if g.Cell[g.Apples[j]] != int32(l.Index(a.Pos)) {
					t.Fatalf("apple %d node", j)
				}
			}
			// Every node's eccentricity, twice for the cached ones.
			dist := make([]int32, len(l.Walls))
			for round := range 2 {
				for j, c := range g.Cell {
					far := int32(0)
					for _, d := range l.Distances(dist, nil, int(c)) {
						far = max(far, d)
					}
					if got := g.Eccentricity(l, int32(j), nil, nil); got != int(far) {
						t.Fatalf("round %d node %d: eccentricity %d, want %d", round, j, got, far)
					}
				}
			}
			for _, cs := range []int{0, 1, 3, 5} {
				p := world.Planes{CornerSize: cs}
				planes := make([]float64, p.Len(l))
				p.Observe(planes, world.NewEpisode(l), nil)
				regions := p.AppendRegions(nil, g)
				for j, c := range g.Cell {
					for r := range 4 {
						want := planes[int(c)*world.CellFeatures+world.FeatCorner+r] == 1
						if got := regions[j]&(1<<r) != 0; got != want {
							t.Fatalf("corner size %d node %d region %d: %v, want %v", cs, j, r, got, want)
						}
					}
				}
			}
		})
	}
}

// TestGraphBuild: a graph rebuilt for level after level equals a fresh
// graph of each, and goroutines may share a graph, its eccentricity cache
// included.
func TestGraphBuild(t *testing.T) {
	levels := graphLevels(t)
	var g world.Graph
	for i, l := range levels {
		g.Build(l)
		want := world.NewGraph(l)
		if g.N != want.N || g.Group != want.Group || !slices.Equal(g.Succ, want.Succ) || !slices.Equal(g.Node, want.Node) ||
			!slices.Equal(g.X, want.X) || !slices.Equal(g.Y, want.Y) || g.Exit != want.Exit || !slices.Equal(g.Apples, want.Apples) {
			t.Fatalf("level %d: the rebuilt graph differs from a fresh one", i)
		}
		for j := range want.Neighbour {
			for s := range g.N {
				if s >= want.Group[j+1] && g.Neighbour[j][s] != want.Neighbour[j][s] {
					t.Fatalf("level %d: neighbour %d of node %d differs", i, j, s)
				}
			}
		}
		if g.Eccentricity(l, g.Node[l.Index(l.Start)], nil, nil) != want.Eccentricity(l, want.Node[l.Index(l.Start)], nil, nil) {
			t.Fatalf("level %d: a stale eccentricity", i)
		}
	}
	l := levels[len(levels)/2]
	g.Build(l)
	want := world.NewGraph(l).Eccentricity(l, g.Node[l.Index(l.Start)], nil, nil)
	var wg sync.WaitGroup
	got := make([]int, 8)
	for i := range got {
		wg.Go(func() { got[i] = g.Eccentricity(l, g.Node[l.Index(l.Start)], nil, nil) })
	}
	wg.Wait()
	for _, e := range got {
		if e != want {
			t.Fatalf("eccentricity %d from a goroutine, want %d", e, want)
		}
	}
}
