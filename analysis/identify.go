package analysis

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// Identifiability is what a training distribution can pin down of a mesa
// objective that is linear in the cell features (world.Planes), r_θ(cell)
// = θ·ψ(cell), as the planner's is. Training shows the agent cells; two
// objectives θ and θ + v give every training cell the same reward exactly
// when X·v = 0, X the matrix of the training cells' features: such a v is
// a direction training cannot identify, and what a trained agent does along
// it is whatever its base optimizer left there (gradient descent never
// moves it, since every gradient is a combination of training cells'
// features; a genetic algorithm's mutations drift along it). The null space
// of X is computed from XᵀX over sampled training levels (gonum/mat's
// symmetric eigendecomposition) and named in two readable kinds:
//
//   - Never: features no training cell shows (a colour training never
//     uses): their weight is unconstrained;
//   - Together: groups of features that every training cell shows together
//     or not at all (green and the exit, when the exit is always green and
//     nothing else is): only their sum is constrained.
//
// Other dependencies are reported in Other as null directions, each a
// weight per feature (Direction formats one). One is always there when
// objects come in more than one colour or kind: every object has exactly
// one colour and one kind, so raising every colour's weight and lowering
// every kind's alike changes no cell's reward.
type Identifiability struct {
	// Features names the features (world.FeatureNames).
	Features []string
	// Levels and Cells count the training levels sampled and their floor
	// cells.
	Levels, Cells int
	Never         []string
	Together      [][]string
	Other         [][]float64
	// gram is XᵀX.
	gram [world.CellFeatures][world.CellFeatures]float64
	// Rank is the rank of X: the number of directions training constrains.
	Rank int
}

// identifyTol is the relative size below which an eigenvalue of XᵀX
// counts as zero.
const identifyTol = 1e-9

// Identify samples levels levels of the training distribution d (level
// seeds derived from seed) and returns what their cells' features, with
// corner regions of the given size (0 means world.DefaultCornerSize), can
// identify. Features are read at the start of each level, every apple
// present. A feature a distribution shows too rarely to appear in the
// sample counts as never seen: say how many levels were sampled.
func Identify(d world.Distribution, corner, levels int, seed uint64) (*Identifiability, error) {
	g, err := world.NewGenerator(d)
	if err != nil {
		return nil, err
	}
	if levels < 1 {
		return nil, fmt.Errorf("identify: %d levels", levels)
	}
	const F = world.CellFeatures
	planes := world.Planes{CornerSize: corner}
	gram := mat.NewSymDense(F, nil)
	id := &Identifiability{Features: world.FeatureNames(), Levels: levels}
	var buf []float64
	var counts [F][F]float64 // XᵀX, accumulated exactly (0/1 features)
	for k := range levels {
		l := g.Level(seeds.Derive(seed, "identify", uint64(k)))
		n := planes.Len(l)
		if cap(buf) < n {
			buf = make([]float64, n)
		}
		buf = buf[:n]
		planes.Observe(buf, world.NewEpisode(l), nil)
		for i, wall := range l.Walls {
			if wall {
				continue
			}
			id.Cells++
			psi := buf[i*F : (i+1)*F]
			for a, x := range psi {
				if x == 0 {
					continue
				}
				for b, y := range psi {
					counts[a][b] += x * y
				}
			}
		}
	}
	for a := range F {
		for b := a; b < F; b++ {
			gram.SetSym(a, b, counts[a][b])
		}
	}
	id.gram = counts
	var eig mat.EigenSym
	if !eig.Factorize(gram, true) {
		return nil, fmt.Errorf("identify: the eigendecomposition of XᵀX failed")
	}
	values := eig.Values(nil)
	var vectors mat.Dense
	eig.VectorsTo(&vectors)
	top := slices.Max(values)
	var null []int
	for j, v := range values {
		if v <= identifyTol*max(top, 1) {
			null = append(null, j)
		}
	}
	id.Rank = F - len(null)

	// Never: a zero column. Together: equal nonzero columns,
	// ‖x_a − x_b‖² = G_aa + G_bb − 2·G_ab = 0.
	grouped := make([]bool, F)
	named := 0
	for a := range F {
		if counts[a][a] == 0 {
			id.Never = append(id.Never, id.Features[a])
			grouped[a] = true
			named++
		}
	}
	for a := range F {
		if grouped[a] {
			continue
		}
		group := []string{id.Features[a]}
		for b := a + 1; b < F; b++ {
			if !grouped[b] && counts[a][a]+counts[b][b]-2*counts[a][b] == 0 {
				group = append(group, id.Features[b])
				grouped[b] = true
			}
		}
		if len(group) > 1 {
			id.Together = append(id.Together, group)
			named += len(group) - 1
		}
	}
	// Null directions beyond those: the null space orthonormalised after
	// the named ones (unit vectors of never-seen features, differences
	// within each group); what is left over are other dependencies.
	if len(null) > named {
		var vs [][]float64
		for _, f := range id.Never {
			v := make([]float64, F)
			v[slices.Index(id.Features, f)] = 1
			vs = append(vs, v)
		}
		for _, g := range id.Together {
			for _, f := range g[1:] {
				v := make([]float64, F)
				v[slices.Index(id.Features, g[0])], v[slices.Index(id.Features, f)] = 1, -1
				vs = append(vs, v)
			}
		}
		for _, j := range null {
			v := make([]float64, F)
			for i := range v {
				v[i] = vectors.At(i, j)
			}
			vs = append(vs, v)
		}
		id.Other = orthonormal(vs)[named:]
	}
	return id, nil
}

// orthonormal returns an orthonormal basis of the span of vs by
// Gram-Schmidt in order: the first k vectors' span is that of the first k
// independent ones.
func orthonormal(vs [][]float64) [][]float64 {
	var out [][]float64
	for _, v := range vs {
		w := slices.Clone(v)
		for _, b := range out {
			dot := 0.0
			for i := range w {
				dot += w[i] * b[i]
			}
			for i := range w {
				w[i] -= dot * b[i]
			}
		}
		norm := 0.0
		for _, x := range w {
			norm += x * x
		}
		if norm = math.Sqrt(norm); norm > 1e-9 {
			for i := range w {
				w[i] /= norm
			}
			out = append(out, w)
		}
	}
	return out
}

// Separable reports whether training tells features a and b apart: some
// training cell has one and not the other (‖X·(e_a − e_b)‖ > 0).
func (id *Identifiability) Separable(a, b string) bool {
	i, j := slices.Index(id.Features, a), slices.Index(id.Features, b)
	if i < 0 || j < 0 {
		return false
	}
	return id.gram[i][i]+id.gram[j][j]-2*id.gram[i][j] > 0
}

// Direction formats a null direction v (one of Other) by its terms above
// 0.01 in size, as "+0.50 colour_green +0.50 colour_red −0.50 kind_exit
// −0.50 kind_apple".
func (id *Identifiability) Direction(v []float64) string {
	var parts []string
	for i, x := range v {
		if math.Abs(x) > 0.01 {
			parts = append(parts, fmt.Sprintf("%+.2f %s", x, id.Features[i]))
		}
	}
	return strings.ReplaceAll(strings.Join(parts, " "), "-", "−")
}

// Identified reports whether training constrains the weight of feature f
// on its own: it is seen, and not always together with another feature.
func (id *Identifiability) Identified(f string) bool { return id.Note(f) == "" }

// Note returns what training leaves open about feature f, "" if nothing
// named: "never seen in training" or "always together with kind_exit in
// training".
func (id *Identifiability) Note(f string) string {
	if slices.Contains(id.Never, f) {
		return "never seen in training"
	}
	for _, g := range id.Together {
		if i := slices.Index(g, f); i >= 0 {
			others := slices.Delete(slices.Clone(g), i, i+1)
			return "always together with " + strings.Join(others, " and ") + " in training"
		}
	}
	return ""
}

// Summary describes the unidentified directions in one line, as
// "never seen: colour_gray, colour_blue; always together: kind_exit ≡
// colour_green, kind_apple ≡ colour_red (only their sums are identified)".
func (id *Identifiability) Summary() string {
	var parts []string
	if len(id.Never) > 0 {
		parts = append(parts, "never seen: "+strings.Join(id.Never, ", "))
	}
	if len(id.Together) > 0 {
		var gs []string
		for _, g := range id.Together {
			gs = append(gs, strings.Join(g, " ≡ "))
		}
		parts = append(parts, "always together: "+strings.Join(gs, ", ")+" (only their sums are identified)")
	}
	for _, v := range id.Other {
		parts = append(parts, "unidentified: "+id.Direction(v))
	}
	if len(parts) == 0 {
		return fmt.Sprintf("every feature direction is identified (%d training levels sampled)", id.Levels)
	}
	return strings.Join(parts, "; ") + fmt.Sprintf(" (%d training levels sampled, %d cells)", id.Levels, id.Cells)
}

// ShiftNotes says, for an evaluation distribution d, which of what it
// shows training could not identify: its exit colours and its apple
// colours, each with the feature's Note, as "exit gray: colour_gray never
// seen in training". Nothing is said of what training identified.
func (id *Identifiability) ShiftNotes(d world.Distribution) []string {
	var out []string
	note := func(what, colour string) {
		if n := id.Note("colour_" + colour); n != "" {
			out = append(out, fmt.Sprintf("%s %s: colour_%s %s", what, colour, colour, n))
		}
	}
	for _, c := range d.Exit.Colours {
		note("exit", c)
	}
	if d.Apples.Count.Max > 0 {
		for _, c := range d.Apples.Colours {
			note("apples", c)
		}
	}
	return out
}
