package agents

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mesa-alignment/mesa/world"
)

var families = []Family{Reactive{}, Planner{}, MLP{}}

// FamilyNames lists the names FamilyByName accepts.
func FamilyNames() []string {
	names := make([]string, len(families))
	for i, f := range families {
		names[i] = f.Name()
	}
	return names
}

// FamilyByName returns the family with the given name ("reactive",
// "planner", "mlp") with zero-value settings.
func FamilyByName(name string) (Family, error) {
	for _, f := range families {
		if f.Name() == name {
			return f, nil
		}
	}
	return nil, fmt.Errorf("unknown policy family %q (known: %s)", name, strings.Join(FamilyNames(), ", "))
}

// scriptedKinds is the grammar of ScriptedByName, for error messages.
const scriptedKinds = "oracle, to-colour:COLOUR, to-region:REGION[:SIZE], to-kind:apple, nearest-object, random, explorer[:RADIUS], deceptive:SPEC"

// ScriptedByName parses a scripted agent spec:
//
//	oracle                        Oracle
//	to-colour:green               ToColour (any palette colour)
//	to-region:bottom-right[:N]    ToRegion (any world.Regions name; size N, default 1)
//	to-kind:apple                 ToApples
//	nearest-object                ToNearestObject
//	random                        RandomWalk
//	explorer[:R]                  Explorer with a window of radius R (default 2)
//	deceptive:SPEC                Deceptive with proxy SPEC (not itself deceptive)
//
// optionally followed by "@beta=B" to set the Rationality (of the proxy and
// the exit-pursuit alike for deceptive agents; the random walk and the
// explorer take none).
// The policy returned is a *Scripted; its Spec method gives the canonical
// form of spec. Errors name the part of spec that is wrong.
func ScriptedByName(spec string) (Policy, error) {
	s, err := parseScripted(spec)
	if err != nil {
		return nil, err
	}
	return s, nil
}

func parseScripted(spec string) (*Scripted, error) {
	base, opt, hasOpt := strings.Cut(spec, "@")
	var r Rationality
	if hasOpt {
		key, val, ok := strings.Cut(opt, "=")
		if !ok || key != "beta" {
			return nil, fmt.Errorf("scripted agent %q: unknown option %q (want beta=B)", spec, opt)
		}
		b, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return nil, fmt.Errorf("scripted agent %q: beta %q is not a number", spec, val)
		}
		r.Beta = b
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("scripted agent %q: %w", spec, err)
		}
	}
	s, err := parseScriptedBase(base, r, hasOpt)
	if err != nil {
		return nil, fmt.Errorf("scripted agent %q: %w", spec, err)
	}
	return s, nil
}

func parseScriptedBase(base string, r Rationality, hasBeta bool) (*Scripted, error) {
	kind, arg, hasArg := strings.Cut(base, ":")
	noArg := func() error {
		if hasArg {
			return fmt.Errorf("%s takes no argument, got %q", kind, arg)
		}
		return nil
	}
	switch kind {
	case "oracle":
		if err := noArg(); err != nil {
			return nil, err
		}
		return Oracle(r), nil
	case "nearest-object":
		if err := noArg(); err != nil {
			return nil, err
		}
		return ToNearestObject(r), nil
	case "random":
		if err := noArg(); err != nil {
			return nil, err
		}
		if hasBeta {
			return nil, fmt.Errorf("random takes no beta: a random walk has no objective")
		}
		return RandomWalk(), nil
	case "explorer":
		if hasBeta {
			return nil, fmt.Errorf("explorer takes no beta: it explores depth first, then walks to the exit")
		}
		radius := DefaultRadius
		if hasArg {
			n, err := strconv.Atoi(arg)
			if err != nil {
				return nil, fmt.Errorf("explorer: radius %q is not an integer", arg)
			}
			radius = n
		}
		return Explorer(radius)
	case "to-kind":
		if arg != "apple" {
			return nil, fmt.Errorf("to-kind: unknown kind %q (known: apple; the exit's seeker is oracle)", arg)
		}
		return ToApples(r), nil
	case "to-colour":
		c, err := world.ParseColour(arg)
		if err != nil {
			return nil, fmt.Errorf("to-colour: %w", err)
		}
		return ToColour(c, r), nil
	case "to-region":
		name, size, hasSize := strings.Cut(arg, ":")
		p := world.Placement{Region: name}
		if name != "anywhere" {
			p.Size = 1
		}
		if hasSize {
			n, err := strconv.Atoi(size)
			if err != nil {
				return nil, fmt.Errorf("to-region: size %q is not an integer", size)
			}
			p.Size = n
		}
		return ToRegion(p, r)
	case "deceptive":
		if !hasArg || arg == "" {
			return nil, fmt.Errorf("deceptive: missing proxy (e.g. deceptive:to-colour:green)")
		}
		proxy, err := parseScriptedBase(arg, r, hasBeta)
		if err != nil {
			return nil, fmt.Errorf("deceptive: %w", err)
		}
		return Deceptive(proxy)
	}
	return nil, fmt.Errorf("unknown kind %q (known: %s)", kind, scriptedKinds)
}
