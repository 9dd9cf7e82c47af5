package experiment

import (
	"fmt"
	"slices"
	"testing"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// TestVocabulariesMatchSimulator: package data spells the simulator's names
// as literals (it imports no simulator package). This test fails when one
// of them drifts from the simulator: palette colours, actions, training
// statuses, distribution presets, corner regions, and the objects, proxies
// and candidates built from them.
func TestVocabulariesMatchSimulator(t *testing.T) {
	var colours, proxies, objects []string
	objects = append(objects, objectName(world.Object{Kind: world.Exit}))
	for c := range world.NumColours {
		colours = append(colours, world.Palette[c].Name)
		proxies = append(proxies, colourProxy(world.Colour(c)))
		objects = append(objects, objectName(world.Object{Kind: world.Apple, Colour: world.Colour(c)}))
	}
	for _, r := range world.Regions {
		if r != "anywhere" {
			proxies = append(proxies, regionProxy(r))
		}
	}
	proxies = append(proxies, data.ProxyKindApple)
	var actions []string
	for a := range world.NumActions {
		actions = append(actions, world.Action(a).String())
	}
	var statuses []string
	for s := train.NotTerminated; s <= train.Canceled; s++ {
		statuses = append(statuses, s.String())
	}
	candidates := append([]string{data.CandidateGoal}, proxies...)
	candidates = append(candidates, data.ProxyNearestObject)
	for _, p := range proxies {
		if p != data.ProxyKindApple {
			candidates = append(candidates, data.UnionCandidate(p))
		}
	}
	candidates = append(candidates, data.CandidateRandom)
	for _, tc := range []struct {
		vocab string
		want  []string
	}{
		{data.VocabColour, colours},
		{data.VocabAction, actions},
		{data.VocabStatus, statuses},
		{data.VocabDistribution, world.PresetNames()},
		{data.VocabProxy, proxies},
		{data.VocabObject, objects},
		{data.VocabCandidate, candidates},
	} {
		if got := data.Vocabulary(tc.vocab); !slices.Equal(got, tc.want) {
			t.Errorf("data's %s vocabulary %v\ndrifted from the simulator's %v", tc.vocab, got, tc.want)
		}
	}
	// The statuses end at Canceled: a status added after it must be added
	// to data's list too.
	if s := (train.Canceled + 1).String(); s != fmt.Sprintf("Status(%d)", int(train.Canceled+1)) {
		t.Errorf("train has a status %q after canceled; add it to data's statuses", s)
	}
}
