package world_test

import (
	"math"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/world"
)

func TestBaseReturn(t *testing.T) {
	tests := []struct {
		rule         world.BaseReturn
		reached      bool
		steps, limit int
		want         float64
	}{
		{world.Sooner, true, 1, 100, 1 - 0.9/100},
		{world.Sooner, true, 50, 100, 0.55},
		{world.Sooner, true, 100, 100, 0.1},   // on the last allowed step
		{world.Sooner, true, 150, 100, 0.1},   // beyond the limit counts as the limit
		{world.Sooner, false, 100, 100, 0},    // not reached
		{world.Sooner, false, 3, 100, 0},      // not reached (yet)
		{world.Binary, true, 1, 100, 1},       // any step
		{world.Binary, true, 100, 100, 1},     // the last step
		{world.Binary, false, 100, 100, 0},    // not reached
		{world.BaseReturn(0), true, 0, 10, 1}, // the zero value is Sooner
	}
	for _, tt := range tests {
		if got := tt.rule.Return(tt.reached, tt.steps, tt.limit); math.Abs(got-tt.want) > 1e-15 {
			t.Errorf("%v.Return(%v, %d, %d) = %v, want %v", tt.rule, tt.reached, tt.steps, tt.limit, got, tt.want)
		}
	}
	if got := world.BaseReturn(7).Return(true, 1, 10); !math.IsNaN(got) {
		t.Errorf("an unknown rule scores %v, want NaN", got)
	}
}

func TestParseBaseReturn(t *testing.T) {
	tests := []struct {
		in   string
		want world.BaseReturn
		err  string
	}{
		{"", world.Sooner, ""},
		{"sooner", world.Sooner, ""},
		{"binary", world.Binary, ""},
		{"Binary", 0, `"Binary"`},
		{"minigrid", 0, `unknown base return "minigrid"`},
	}
	for _, tt := range tests {
		got, err := world.ParseBaseReturn(tt.in)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ParseBaseReturn(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseBaseReturn(%q): error %v, want one containing %s", tt.in, err, tt.err)
		}
	}
	for _, b := range []world.BaseReturn{world.Sooner, world.Binary} {
		if got, err := world.ParseBaseReturn(b.String()); err != nil || got != b || b.Validate() != nil {
			t.Errorf("%v does not round-trip: %v, %v", b, got, err)
		}
	}
	if err := world.BaseReturn(-1).Validate(); err == nil {
		t.Error("BaseReturn(-1) is valid")
	}
}
