package analysis

import "github.com/mesa-alignment/mesa/world"

// A field computes breadth-first distances on one level. It keeps its
// buffers between calls, so it belongs to one goroutine.
type field struct {
	dist, queue []int32
}

// from fills f.dist with the shortest-path distance in moves from the nearest
// of sources to every cell of l, -1 where unreachable and on walls. Cell stop
// (if >= 0) can be reached but is not passed through: it is the exit, which
// ends the episode. Cell avoid (if >= 0) is never entered: the exit, for an
// objective that does not want it. It returns f.dist.
func (f *field) from(l *world.Level, sources []int32, stop, avoid int) []int32 {
	n := len(l.Walls)
	if cap(f.dist) < n {
		f.dist, f.queue = make([]int32, n), make([]int32, n)
	}
	dist, q := f.dist[:n], f.queue[:0]
	for i := range dist {
		dist[i] = -1
	}
	for _, s := range sources {
		if int(s) != avoid && dist[s] < 0 {
			dist[s] = 0
			q = append(q, s)
		}
	}
	off := l.Offsets()
	for h := 0; h < len(q); h++ {
		c := int(q[h])
		if c == stop && dist[c] > 0 {
			continue
		}
		for _, o := range off {
			m := c + o
			if !l.Walls[m] && dist[m] < 0 && m != avoid {
				dist[m] = dist[c] + 1
				q = append(q, int32(m))
			}
		}
	}
	f.queue = q
	return dist
}

// min returns the smallest distance in dist over cells, -1 if none is
// reachable.
func minDist(dist []int32, cells []int32) int32 {
	best := int32(-1)
	for _, c := range cells {
		if d := dist[c]; d >= 0 && (best < 0 || d < best) {
			best = d
		}
	}
	return best
}
