package world

import (
	"fmt"
	"sort"
)

// The named distributions of the talk, and single shifts that separate its
// proxies. Deployment apples come in green and in blue, a colour training
// never shows: whatever draws an agent to green apples and not to blue ones
// is the colour, not the apple.
// Each is returned fresh by Preset, so callers may modify the copy.
var presets = map[string]struct {
	doc string
	d   Distribution
}{
	"train": {"the talk's training mazes: exit green, bottom-right; apples red; sizes 7-11", Distribution{
		Width:  IntRange{7, 11},
		Start:  Placement{Region: "top-left", Size: 1},
		Exit:   ExitSpec{Placement{Region: "bottom-right", Size: 1}, []string{"green"}},
		Apples: AppleSpec{Count: IntRange{1, 3}, Colours: []string{"red"}},
		Cue:    true,
	}},
	"deploy": {"the talk's deployment: exit gray, anywhere; apples green, and blue as their control; sizes 15-21; loops", Distribution{
		Width:  IntRange{15, 21},
		Loops:  0.05,
		Start:  Placement{Region: "top-left", Size: 1},
		Exit:   ExitSpec{Placement{Region: "anywhere"}, []string{"gray"}},
		Apples: AppleSpec{Count: IntRange{2, 5}, Colours: []string{"green", "blue"}},
	}},
	"deploy-colour": {"colour shift only: exit gray, bottom-right; apples green, and blue as their control; sizes 7-11", Distribution{
		Width:  IntRange{7, 11},
		Start:  Placement{Region: "top-left", Size: 1},
		Exit:   ExitSpec{Placement{Region: "bottom-right", Size: 1}, []string{"gray"}},
		Apples: AppleSpec{Count: IntRange{1, 3}, Colours: []string{"green", "blue"}},
	}},
	"deploy-region": {"position shift only: exit green, anywhere; apples red; sizes 7-11", Distribution{
		Width:  IntRange{7, 11},
		Start:  Placement{Region: "top-left", Size: 1},
		Exit:   ExitSpec{Placement{Region: "anywhere"}, []string{"green"}},
		Apples: AppleSpec{Count: IntRange{1, 3}, Colours: []string{"red"}},
	}},
	"train-randomized": {"train, with a quarter of levels' exit colour and position randomised", Distribution{
		Width:     IntRange{7, 11},
		Start:     Placement{Region: "top-left", Size: 1},
		Exit:      ExitSpec{Placement{Region: "bottom-right", Size: 1}, []string{"green"}},
		Apples:    AppleSpec{Count: IntRange{1, 3}, Colours: []string{"red"}},
		Randomize: 0.25,
		Cue:       true,
	}},
}

// Preset returns the named distribution.
func Preset(name string) (Distribution, error) {
	p, ok := presets[name]
	if !ok {
		return Distribution{}, fmt.Errorf("unknown distribution preset %q (known: %v)", name, PresetNames())
	}
	d := p.d
	d.Name = name
	d.Exit.Colours = append([]string(nil), d.Exit.Colours...)
	d.Apples.Colours = append([]string(nil), d.Apples.Colours...)
	return d, nil
}

// PresetNames lists the distribution presets in sorted order.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// PresetDoc returns the one-line description of a preset.
func PresetDoc(name string) string { return presets[name].doc }
