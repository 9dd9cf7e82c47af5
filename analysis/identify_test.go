package analysis_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/mesa-alignment/mesa/analysis"
	"github.com/mesa-alignment/mesa/world"
)

// TestIdentify: on the default training distribution the colours training
// never shows are never seen, and the exit's kind and green (the exit is
// always green, nothing else is) come only together, as do the apple's kind
// and red; the rank of the features is what is left. With green decoy
// apples in training, green and the exit come apart, and so do red and
// apples; with a quarter of exits randomised every colour is seen.
func TestIdentify(t *testing.T) {
	train := mustPreset(t, "train")
	id, err := analysis.Identify(train, 0, 500, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("default training: %s; rank %d", id.Summary(), id.Rank)
	wantNever := []string{"colour_gray", "colour_blue", "colour_yellow", "colour_purple", "colour_orange", "colour_white"}
	if !slices.Equal(id.Never, wantNever) {
		t.Errorf("never seen %v, want %v", id.Never, wantNever)
	}
	if got := fmt.Sprint(id.Together); got != "[[colour_green kind_exit] [colour_red kind_apple]]" {
		t.Errorf("together %s, want green with the exit and red with apples", got)
	}
	if len(id.Other) != 0 || id.Rank != world.CellFeatures-6-2 {
		t.Errorf("other %v, rank %d, want none and %d", id.Other, id.Rank, world.CellFeatures-8)
	}
	if n := id.Note("colour_gray"); n != "never seen in training" {
		t.Errorf("note on gray %q", n)
	}
	if n := id.Note("kind_exit"); n != "always together with colour_green in training" || id.Identified("kind_exit") || !id.Identified("region_bottom_right") {
		t.Errorf("note on the exit %q", n)
	}
	if id.Separable("kind_exit", "colour_green") || !id.Separable("kind_exit", "colour_red") {
		t.Error("default training: kind_exit and colour_green separable, or kind_exit and colour_red not")
	}
	deploy := mustPreset(t, "deploy")
	if got := fmt.Sprint(id.ShiftNotes(deploy)); got != "[exit gray: colour_gray never seen in training apples green: colour_green always together with kind_exit in training apples blue: colour_blue never seen in training]" {
		t.Errorf("deploy notes %s", got)
	}

	decoys := train
	decoys.Apples.Colours = []string{"red", "green"}
	id, err = analysis.Identify(decoys, 0, 500, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("training with green decoy apples: %s; rank %d", id.Summary(), id.Rank)
	if len(id.Together) != 0 || !id.Separable("kind_exit", "colour_green") || !id.Separable("kind_apple", "colour_red") {
		t.Errorf("with green decoys: together %v", id.Together)
	}
	// What is left: colours up, kinds down (every object has one of each).
	if len(id.Other) != 1 || id.Rank != world.CellFeatures-6-1 {
		t.Errorf("with green decoys: other %v, rank %d", id.Other, id.Rank)
	}

	randomized := mustPreset(t, "train-randomized")
	id, err = analysis.Identify(randomized, 0, 500, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("train-randomized: %s; rank %d", id.Summary(), id.Rank)
	if len(id.Never) != 0 || len(id.Together) != 0 || len(id.Other) != 1 || id.Rank != world.CellFeatures-1 {
		t.Errorf("randomised exits: never %v, together %v, other %v, rank %d", id.Never, id.Together, id.Other, id.Rank)
	}
}
