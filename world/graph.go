package world

import (
	"sync/atomic"
)

// A Graph is the floor of a level as a graph, for agents that plan over the
// map: one node per floor cell and, for each node and action, the node the
// action leads to (the node itself when a wall blocks it). NewGraph and
// Build make one; once made it is read-only (Eccentricity's cache aside,
// which is safe for concurrent use) and may be shared between goroutines.
//
// Nodes are numbered so that a synchronous sweep over them (value
// iteration) runs over plain arrays: nodes [Group[m], Group[m+1]) have m
// open neighbours, m = 0..4, and Neighbour[j][s] is the j-th open
// neighbour of node s in action order (for j below its count). A node with
// fewer than four open neighbours has a wall that keeps it in place: its
// successors are its neighbours and itself. Within a group nodes are in
// reading order.
type Graph struct {
	// N is the number of nodes (floor cells).
	N int
	// Node maps a cell index (Level.Index) to its node, -1 for walls.
	Node []int32
	// Cell maps a node to its cell index.
	Cell []int32
	// Succ lists the node each action leads to: Succ[4·s+a] for node s
	// and action a.
	Succ []int32
	// X and Y are the coordinates of each node's cell.
	X, Y []int32
	// Group delimits the nodes by number of open neighbours, and Neighbour
	// lists those (see above).
	Group     [NumActions + 2]int
	Neighbour [NumActions][]int32
	// Exit is the exit's node; Apples[j] the node of apple j.
	Exit   int32
	Apples []int32

	// ecc caches the eccentricity plus one of the start (index 0), the
	// exit (1) and apple j (2+j); 0 means not computed yet.
	ecc  []int32
	w, h int32
	buf  []int32 // storage of the tables and the cache
}

// NewGraph returns the graph of l.
func NewGraph(l *Level) *Graph {
	g := new(Graph)
	g.Build(l)
	return g
}

// Build makes g the graph of l, reusing g's storage where it is large
// enough: a caller that keeps graphs of many levels in turn (one per
// episode) allocates nothing once its graphs have reached the largest
// size. The graph must not be in use elsewhere.
func (g *Graph) Build(l *Level) {
	cells := len(l.Walls)
	off := l.Offsets()
	// First pass: the open neighbours of each floor cell and the size of
	// each group.
	var counts [NumActions + 1]int
	n := 0
	var stack [1024]uint8
	var open []uint8 // 1 + open neighbours, 0 for walls
	if cells <= len(stack) {
		open = stack[:cells]
	} else {
		open = make([]uint8, cells)
	}
	for i, wall := range l.Walls {
		if !wall {
			m := openNeighbours(l, i, &off)
			open[i] = uint8(m + 1)
			counts[m]++
			n++
		}
	}
	// One buffer for every table.
	size := cells + (3+2*NumActions)*n + 2 + 2*len(l.Apples)
	if cap(g.buf) < size {
		g.buf = make([]int32, size)
	}
	buf := g.buf[:size]
	clear(buf[cells+(3+NumActions)*n:]) // the neighbour columns and the caches
	take := func(m int) []int32 {
		s := buf[:m:m]
		buf = buf[m:]
		return s
	}
	g.N, g.Node, g.Cell, g.X, g.Y, g.Succ = n, take(cells), take(n), take(n), take(n), take(NumActions*n)
	g.w, g.h = int32(l.Width), int32(l.Height)
	g.Group = [NumActions + 2]int{}
	for m := range counts {
		g.Group[m+1] = g.Group[m] + counts[m]
	}
	for j := range g.Neighbour {
		// Only nodes with more than j neighbours have a j-th.
		g.Neighbour[j] = take(n)
	}
	g.Apples, g.ecc = take(len(l.Apples)), take(2+len(l.Apples))
	// Second pass: number the nodes group by group, in reading order.
	next := g.Group
	for i, x, y := 0, int32(0), int32(0); i < cells; i++ {
		if o := open[i]; o == 0 {
			g.Node[i] = -1
		} else {
			m := o - 1
			j := next[m]
			next[m]++
			g.Node[i], g.Cell[j] = int32(j), int32(i)
			g.X[j], g.Y[j] = x, y
		}
		if x++; x == g.w {
			x, y = 0, y+1
		}
	}
	// Third pass: successors per action, and the open neighbours.
	for j, c := range g.Cell {
		row := g.Succ[NumActions*j:][:NumActions]
		m := 0
		for a, o := range off {
			t := g.Node[int(c)+o] // the border is wall: never out of range
			if t < 0 {
				t = int32(j)
			} else {
				g.Neighbour[m][j] = t
				m++
			}
			row[a] = t
		}
	}
	g.Exit = g.Node[l.Index(l.Exit.Pos)]
	for j, a := range l.Apples {
		g.Apples[j] = g.Node[l.Index(a.Pos)]
	}
}

// openNeighbours returns the number of floor cells next to cell i.
func openNeighbours(l *Level, i int, off *[NumActions]int) int {
	m := 0
	for _, o := range off {
		if !l.Walls[i+o] {
			m++
		}
	}
	return m
}

// Eccentricity returns the largest shortest-path distance, in moves, from
// node from to any node reachable from it. dist and queue are scratch
// space of length N (nil allocates); dist is left holding the distances
// (-1 where unreachable), except for the start's and the objects' nodes,
// whose eccentricity is computed once per graph and then read from a cache.
func (g *Graph) Eccentricity(l *Level, from int32, dist, queue []int32) int {
	slot := -1
	switch {
	case from == g.Node[l.Index(l.Start)]:
		slot = 0
	case from == g.Exit:
		slot = 1
	default:
		for j, a := range g.Apples {
			if a == from {
				slot = 2 + j
				break
			}
		}
	}
	if slot >= 0 {
		if e := atomic.LoadInt32(&g.ecc[slot]); e > 0 {
			return int(e) - 1
		}
	}
	if dist == nil {
		dist = make([]int32, g.N)
	}
	if queue == nil {
		queue = make([]int32, g.N)
	}
	dist, queue = dist[:g.N], queue[:g.N]
	for j := range dist {
		dist[j] = -1
	}
	dist[from] = 0
	queue[0] = from
	tail := 1
	far := int32(0)
	succ := g.Succ
	for h := 0; h < tail; h++ {
		c := queue[h]
		d := dist[c]
		far = d // breadth first: the last node dequeued is the farthest
		i := NumActions * int(c)
		_ = succ[i+3]
		// Unrolled: a node's four successors, itself among them if walled.
		if t := succ[i]; dist[t] < 0 {
			dist[t], queue[tail] = d+1, t
			tail++
		}
		if t := succ[i+1]; dist[t] < 0 {
			dist[t], queue[tail] = d+1, t
			tail++
		}
		if t := succ[i+2]; dist[t] < 0 {
			dist[t], queue[tail] = d+1, t
			tail++
		}
		if t := succ[i+3]; dist[t] < 0 {
			dist[t], queue[tail] = d+1, t
			tail++
		}
	}
	if slot >= 0 {
		atomic.StoreInt32(&g.ecc[slot], far+1)
	}
	return int(far)
}
