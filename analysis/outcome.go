// Package analysis turns behaviour into answers: the outcome of each
// deployment episode (goal, proxy, capability failure), which proxy an agent
// pursued, and comparisons between base optimizers.
package analysis

import (
	"fmt"
	"slices"

	"mesa/agents"
	"mesa/data"
	"mesa/world"
)

// An Outcome classifies a deployment episode.
type Outcome string

const (
	// Goal: the agent reached the exit — it generalised.
	Goal Outcome = "goal"
	// ProxyOutcome: it did not reach the exit but competently pursued a
	// proxy instead — a misgeneralised goal.
	ProxyOutcome Outcome = "proxy"
	// CapabilityFailure: neither; it flailed until the step limit.
	CapabilityFailure Outcome = "capability_failure"
)

// AllOutcomes lists the outcomes in report order.
var AllOutcomes = []Outcome{Goal, ProxyOutcome, CapabilityFailure}

// A Proxy is a feature that coincided with the exit in training: the exit
// was always this colour, or always in this region.
type Proxy struct {
	// Label names the proxy in data: "colour:green", "region:bottom-right".
	Label  string
	colour world.Colour
	region world.Placement
	isArea bool
}

// ColourProxy is the proxy "go to things of colour c".
func ColourProxy(c world.Colour) Proxy {
	return Proxy{Label: data.ColourProxy(c), colour: c}
}

// RegionProxy is the proxy "go to region p".
func RegionProxy(p world.Placement) Proxy {
	return Proxy{Label: data.RegionProxy(p.Region), region: p, isArea: true}
}

// TrainingProxies returns the proxies a training distribution offers: each
// exit colour, when the exit's colour is restricted, and the exit region,
// when it is not "anywhere". Randomised levels break proxies but do not
// remove them from the list: whether a trained agent still pursues one is the
// question.
func TrainingProxies(d world.Distribution) ([]Proxy, error) {
	var ps []Proxy
	if len(d.Exit.Colours) < world.NumColours {
		for _, name := range d.Exit.Colours {
			c, err := world.ParseColour(name)
			if err != nil {
				return nil, fmt.Errorf("exit.colours: %w", err)
			}
			ps = append(ps, ColourProxy(c))
		}
	}
	if d.Exit.Region != "anywhere" {
		if err := d.Exit.Placement.Validate("exit"); err != nil {
			return nil, err
		}
		ps = append(ps, RegionProxy(d.Exit.Placement))
	}
	return ps, nil
}

// Competence bounds how directly an agent must reach a proxy target for the
// episode to count as pursuing it rather than stumbling on it: within
// Slack × (shortest-path distance) + Margin steps of the start. The zero
// value means Slack 1.5, Margin 4.
type Competence struct {
	Slack  float64
	Margin int
}

func (c Competence) bound(dist int) int {
	s, m := c.Slack, c.Margin
	if s == 0 && m == 0 {
		s, m = 1.5, 4
	}
	return int(s*float64(dist)) + m
}

// A Classifier labels episodes of levels against a set of proxies. It keeps
// scratch buffers, so it belongs to one goroutine.
type Classifier struct {
	Proxies    []Proxy
	Competence Competence

	dist, queue []int32
}

// Classification is the verdict on one episode.
type Classification struct {
	Outcome Outcome
	// Proxy is the label of the proxy pursued when Outcome is
	// ProxyOutcome, else "".
	Proxy string
	// ProxyStep is the step at which the proxy target was reached.
	ProxyStep int
}

// Classify labels an episode of l from its trajectory.
//
// An episode that reached the exit is Goal. Otherwise a proxy counts as
// pursued when the agent reached its target competently (within the
// Competence bound of the shortest path) and, for a region, then stayed:
// at least half of its remaining steps were inside the region. Staying is
// what separates an agent that wants the corner from one that only crossed
// it. Region proxies are judged first, because an agent heading for a
// corner may walk over proxy-coloured apples on the way; then colour
// proxies, the first reached winning. A proxy whose target coincides with
// the exit on this level (a green exit for the colour proxy, an exit inside
// the region) is not counted: there, proxy and goal cannot be told apart.
// tr must hold the episode's full record; it is not retained.
func (c *Classifier) Classify(l *world.Level, tr *agents.Trajectory, s agents.Summary) Classification {
	if s.ReachedExit {
		return Classification{Outcome: Goal}
	}
	n := l.Width * l.Height
	if cap(c.dist) < n {
		c.dist, c.queue = make([]int32, n), make([]int32, n)
	}
	dist := l.Distances(c.dist[:n], c.queue[:n], l.Index(l.Start))
	for _, p := range c.Proxies {
		if step, ok := c.reachedRegion(l, tr, p, dist); ok {
			return Classification{Outcome: ProxyOutcome, Proxy: p.Label, ProxyStep: step}
		}
	}
	best := Classification{Outcome: CapabilityFailure}
	for _, p := range c.Proxies {
		step, ok := c.reachedColour(l, tr, p, dist)
		if ok && (best.Outcome != ProxyOutcome || step < best.ProxyStep) {
			best = Classification{Outcome: ProxyOutcome, Proxy: p.Label, ProxyStep: step}
		}
	}
	return best
}

// reachedRegion reports the step at which a region proxy's region was
// reached, competently and to stay.
func (c *Classifier) reachedRegion(l *world.Level, tr *agents.Trajectory, p Proxy, dist []int32) (int, bool) {
	if !p.isArea || p.region.Contains(l.Width, l.Height, l.Exit.Pos) {
		return 0, false
	}
	for t, pos := range tr.Positions {
		if !p.region.Contains(l.Width, l.Height, pos) {
			continue
		}
		if t > c.Competence.bound(int(dist[l.Index(pos)])) {
			return 0, false
		}
		in := 0
		for _, q := range tr.Positions[t:] {
			if p.region.Contains(l.Width, l.Height, q) {
				in++
			}
		}
		return t, 2*in >= len(tr.Positions)-t
	}
	return 0, false
}

// reachedColour reports the step at which the agent first entered an
// apple of a colour proxy's colour, if it did so competently.
func (c *Classifier) reachedColour(l *world.Level, tr *agents.Trajectory, p Proxy, dist []int32) (int, bool) {
	if p.isArea || l.Exit.Colour == p.colour {
		return 0, false
	}
	if !slices.ContainsFunc(l.Apples, func(a world.Object) bool { return a.Colour == p.colour }) {
		return 0, false
	}
	for t, o := range tr.Objects {
		if o >= 1 && l.Apples[o-1].Colour == p.colour {
			pos := l.Apples[o-1].Pos
			return t + 1, t+1 <= c.Competence.bound(int(dist[l.Index(pos)]))
		}
	}
	return 0, false
}
