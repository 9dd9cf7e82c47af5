package agentstest_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/agents/agentstest"
	"github.com/mesa-alignment/mesa/world"
)

// tiny is a small correct family, logits θ_b[a] + θ_x[a]·x + θ_y[a]·y over
// the agent's position, with switchable bugs for testing the suite.
type tiny struct {
	bug    string
	shared *tinyScratch // scratch shared by every policy, for bug "shared-buffer"
}

type tinyScratch struct {
	feat  [3]float64
	probs agents.Probs
}

func (tiny) Name() string { return "tiny" }
func (tiny) Dim() int     { return 12 }

func (tiny) ParamNames() []string {
	var names []string
	for _, f := range []string{"b", "x", "y"} {
		for a := range world.NumActions {
			names = append(names, f+"["+world.Action(a).String()+"]")
		}
	}
	return names
}

func (tiny) Init(theta []float64, rng *rand.Rand) {
	for i := range theta {
		theta[i] = rng.NormFloat64()
	}
}

func (f tiny) Policy(theta []float64) agents.Differentiable {
	p := &tinyPolicy{bug: f.bug, theta: theta, s: &tinyScratch{}}
	switch f.bug {
	case "copies-theta":
		p.theta = slices.Clone(theta)
	case "shared-buffer":
		p.s = f.shared
	}
	return p
}

type tinyPolicy struct {
	bug   string
	theta []float64
	s     *tinyScratch
	calls int
}

func (p *tinyPolicy) Reset(*world.Episode) {
	if p.bug != "keeps-state" {
		p.calls = 0
	}
}

func (p *tinyPolicy) Probs(out *agents.Probs, e *world.Episode) {
	l, pos := e.Level(), e.Pos()
	p.s.feat = [3]float64{1, float64(pos.X) / float64(l.Width), float64(pos.Y) / float64(l.Height)}
	var q [world.NumActions]float64
	for a := range q {
		for k, x := range p.s.feat {
			q[a] += p.theta[4*k+a] * x
		}
		q[a] += 0.1 * float64(p.calls%3)
	}
	if p.bug == "keeps-state" {
		p.calls++
	}
	agents.Softmax(&p.s.probs, &q, 1)
	*out = p.s.probs
	switch p.bug {
	case "not-normalised":
		for a := range out {
			out[a] *= 1.01
		}
	case "negative":
		out[0], out[1] = out[0]+0.5, out[1]-0.5
	case "writes-theta":
		p.theta[5] += 1e-3
	case "modifies-episode":
		if e.Steps() == 3 {
			e.Step(world.Down)
		}
	}
}

func (p *tinyPolicy) GradLogProb(grad []float64, a world.Action, scale float64) {
	for k, x := range p.s.feat {
		for b := range world.NumActions {
			d := -p.s.probs[b]
			if b == int(a) {
				d++
			}
			if p.bug == "wrong-gradient" && k == 2 {
				d = -d
			}
			if p.bug == "overwrites-grad" {
				grad[4*k+b] = scale * x * d
			} else {
				grad[4*k+b] += scale * x * d
			}
		}
	}
}

func levels(t *testing.T) []*world.Level {
	t.Helper()
	var ls []*world.Level
	for _, preset := range []string{"train", "deploy"} {
		d, err := world.Preset(preset)
		if err != nil {
			t.Fatal(err)
		}
		for seed := range uint64(2) {
			l, err := d.Level(seed)
			if err != nil {
				t.Fatal(err)
			}
			ls = append(ls, l)
		}
	}
	return ls
}

func TestCorrectFamilyPasses(t *testing.T) {
	ls := levels(t)
	for _, fam := range []agents.Family{tiny{}, agents.Reactive{Window: world.Window{Radius: 1}}} {
		if err := agentstest.TestFamily(fam, ls, 1); err != nil {
			t.Errorf("%s: TestFamily: %v", fam.Name(), err)
		}
		if err := agentstest.CheckGradients(fam, ls, 1, 1e-6); err != nil {
			t.Errorf("%s: CheckGradients: %v", fam.Name(), err)
		}
	}
}

// TestBrokenFamiliesAreReported checks that each deliberate bug is caught,
// by the right check and with a message that says what is wrong.
func TestBrokenFamiliesAreReported(t *testing.T) {
	tests := []struct {
		bug       string
		gradients bool // caught by CheckGradients rather than TestFamily
		want      string
	}{
		{"not-normalised", false, "sum to"},
		{"negative", false, "not a distribution"},
		{"writes-theta", false, "wrote θ"},
		{"shared-buffer", false, "policies share state"},
		{"copies-theta", false, "does not read θ through its alias"},
		{"keeps-state", false, "same action stream differs"},
		{"modifies-episode", false, "modified the episode"},
		{"wrong-gradient", true, "gradient error"},
		{"overwrites-grad", true, "want grad + 2.5·∇"},
	}
	ls := levels(t)
	for _, tt := range tests {
		t.Run(tt.bug, func(t *testing.T) {
			fam := tiny{bug: tt.bug, shared: &tinyScratch{}}
			var err error
			if tt.gradients {
				err = agentstest.CheckGradients(fam, ls, 1, 1e-5)
			} else {
				err = agentstest.TestFamily(fam, ls, 1)
			}
			if err == nil {
				t.Fatalf("bug %q not reported", tt.bug)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("bug %q reported as\n%v\nwant a message containing %q", tt.bug, err, tt.want)
			}
			if n := strings.Count(err.Error(), "\n") + 1; n > 21 {
				t.Errorf("%d lines of problems, want at most 21", n)
			}
		})
	}
}

func TestPolicyReportsBrokenPolicy(t *testing.T) {
	ls := levels(t)
	theta := make([]float64, 12)
	tiny{}.Init(theta, rand.New(rand.NewPCG(1, 2)))
	if err := agentstest.TestPolicy(tiny{}.Policy(theta), ls); err != nil {
		t.Errorf("correct policy: %v", err)
	}
	err := agentstest.TestPolicy(tiny{bug: "not-normalised"}.Policy(theta), ls)
	if err == nil || !strings.Contains(err.Error(), "level 0 step 0: probabilities") {
		t.Errorf("not-normalised policy: got %v", err)
	}
}

func ExampleTestFamily() {
	d, _ := world.Preset("train")
	l, _ := d.Level(1)
	fmt.Println(agentstest.TestFamily(agents.Reactive{}, []*world.Level{l}, 1))
	fmt.Println(agentstest.CheckGradients(agents.Reactive{}, []*world.Level{l}, 1, 1e-5))
	// Output:
	// <nil>
	// <nil>
}
