package agents_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/agents/agentstest"
	"github.com/mesa-alignment/mesa/world"
)

func TestFamilyByName(t *testing.T) {
	if got, want := agents.FamilyNames(), []string{"reactive", "planner", "mlp"}; !slices.Equal(got, want) {
		t.Errorf("FamilyNames() = %v, want %v", got, want)
	}
	for _, name := range agents.FamilyNames() {
		f, err := agents.FamilyByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name() != name {
			t.Errorf("FamilyByName(%q).Name() = %q", name, f.Name())
		}
	}
	if f, _ := agents.FamilyByName("reactive"); f != (agents.Reactive{}) {
		t.Errorf("reactive is %#v, want the zero value", f)
	}
	_, err := agents.FamilyByName("plant")
	if err == nil || !strings.Contains(err.Error(), `"plant"`) || !strings.Contains(err.Error(), "reactive, planner, mlp") {
		t.Errorf("FamilyByName(plant) error %v, want the name and the known families", err)
	}
}

// TestPlannerConformance runs the conformance suite on the planner family,
// which another file owns, with its zero value and with a few settings.
func TestPlannerConformance(t *testing.T) {
	levels := trainAndDeploy(t, 2)
	for _, fam := range []agents.Planner{{}, {Discount: 0.95, Beta: 3, Iterations: 12}} {
		if err := agentstest.TestFamily(fam, levels, 1); err != nil {
			t.Errorf("%+v: %v", fam, err)
		}
		if err := agentstest.CheckGradients(fam, levels, 2, 1e-5); err != nil {
			t.Errorf("%+v: %v", fam, err)
		}
	}
}

func TestScriptedByNameErrors(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", `unknown kind ""`},
		{"orcale", `unknown kind "orcale"`},
		{"oracle:exit", `oracle takes no argument, got "exit"`},
		{"to-colour:grene", `unknown colour "grene"`},
		{"to-colour", `unknown colour ""`},
		{"to-region:middle", `unknown region "middle"`},
		{"to-region:bottom-right:x", `size "x" is not an integer`},
		{"to-region:bottom-right:0", "size: 0 out of range"},
		{"to-region:anywhere:2", "takes no size"},
		{"to-kind:exit", `to-kind: unknown kind "exit"`},
		{"to-kind", `to-kind: unknown kind ""`},
		{"random@beta=1", "random takes no beta"},
		{"deceptive", "missing proxy"},
		{"deceptive:deceptive:oracle", "itself deceptive"},
		{"deceptive:to-colour:mauve", `deceptive: to-colour: unknown colour "mauve"`},
		{"oracle@beta=-1", "beta: -1 must be"},
		{"oracle@beta=NaN", "beta: NaN must be"},
		{"oracle@beta=inf", "beta: +Inf must be"},
		{"oracle@beta=two", `beta "two" is not a number`},
		{"oracle@gamma=2", `unknown option "gamma=2"`},
		{"oracle@beta=1@beta=2", `beta "1@beta=2" is not a number`},
		{"explorer:0", "radius 0 out of range"},
		{"explorer:x", `radius "x" is not an integer`},
		{"explorer@beta=1", "explorer takes no beta"},
	}
	for _, tt := range tests {
		p, err := agents.ScriptedByName(tt.spec)
		if err == nil {
			t.Errorf("ScriptedByName(%q) = %v, want an error", tt.spec, p)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"`+tt.spec+`"`) {
			t.Errorf("ScriptedByName(%q) error %q, want it to quote the spec and contain %q", tt.spec, err, tt.want)
		}
		if p != nil {
			t.Errorf("ScriptedByName(%q) returned a policy with its error", tt.spec)
		}
	}
}

func FuzzScriptedByName(f *testing.F) {
	for _, s := range scriptedSpecs {
		f.Add(s)
	}
	for _, s := range []string{"", "@", "@beta=", "to-region:anywhere:0", "deceptive:", "to-colour:green@beta=1e308", "to-region:bottom-right:99999999999999999999"} {
		f.Add(s)
	}
	level, _ := world.Parse([]byte(appleOnTheWay))
	f.Fuzz(func(t *testing.T, spec string) {
		p, err := agents.ScriptedByName(spec)
		if err != nil {
			return
		}
		s := p.(*agents.Scripted)
		if s.Objective() == "" {
			t.Fatalf("%q: empty objective", spec)
		}
		// The canonical spec parses to the same agent.
		again, err := agents.ScriptedByName(s.Spec())
		if err != nil {
			t.Fatalf("%q: canonical spec %q does not parse: %v", spec, s.Spec(), err)
		}
		if a := again.(*agents.Scripted); a.Spec() != s.Spec() || a.Objective() != s.Objective() {
			t.Fatalf("%q: %q reparses as %q", spec, s.Spec(), a.Spec())
		}
		// Any parsed agent plays a level.
		var r agents.Runner
		r.Greedy = true
		r.Run(p, level, nil)
	})
}
