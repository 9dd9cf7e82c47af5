package cli

import (
	"strings"
	"testing"
)

// TestDeceptionCases checks the explanation and the plan in other games.
func TestDeceptionCases(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"deception", "--train", "0"}, []string{"optimal    AAA ", "With no training episode", ": 3 expected apples."}},
		// Modify·Deploy = 1: a tie, broken towards B.
		{[]string{"deception", "--train", "1", "--deploy", "4", "--modify", "0.25"}, []string{"Deception neither pays nor costs", "0.25 × 4 = 1 expected", "optimal plan is BAAAA: 4 expected apples"}},
		// Nothing to protect: one apple, in the last training episode.
		{[]string{"deception", "--train", "3", "--deploy", "0"}, []string{"0 deployment episodes", "3        train  A", "optimal plan is BBA: 1 expected apple,"}},
		// Long games are printed as runs.
		{[]string{"deception", "--train", "1000", "--deploy", "2000"}, []string{"1-1000     train   B\n", "1001-3000  deploy  A\n", "optimal    B×1000 A×2000  2000\n", "always A   A×3000         1\n"}},
	}
	for _, tt := range tests {
		out, errOut, code := mesa(t, tt.args...)
		if code != 0 || errOut != "" {
			t.Errorf("mesa %v: exit %d, stderr %q", tt.args, code, errOut)
		}
		// Notes wrap at the width: compare words, not spaces.
		flat := strings.Join(strings.Fields(out), " ")
		for _, w := range tt.want {
			if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
				t.Errorf("mesa %v: output lacks %q:\n%s", tt.args, w, out)
			}
		}
	}
}

// TestDeceptionBadFlags: one line naming the flag, exit code 2.
func TestDeceptionBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--train", "-1"}, "mesa: deception: --train: -1 is negative\n"},
		{[]string{"--deploy", "-3"}, "mesa: deception: --deploy: -3 is negative\n"},
		{[]string{"--deploy", "2000000"}, "mesa: deception: --deploy: 2000000 exceeds 1000000\n"},
		{[]string{"--train", "600000", "--deploy", "500000"}, "mesa: deception: --train + --deploy: 1100000 exceeds 1000000\n"},
		{[]string{"--modify", "0"}, "mesa: deception: --modify: 0 is not in (0, 1]\n"},
		{[]string{"--modify", "1.5"}, "mesa: deception: --modify: 1.5 is not in (0, 1]\n"},
		{[]string{"--modify", "-0.1"}, "mesa: deception: --modify: -0.1 is not in (0, 1]\n"},
		{[]string{"--modify", "NaN"}, "mesa: deception: --modify: NaN is not in (0, 1]\n"},
		{[]string{"--train", "two"}, `mesa: deception: invalid value "two" for flag -train: parse error (see mesa deception -h)` + "\n"},
		{[]string{"--episodes", "5"}, "mesa: deception: flag provided but not defined: -episodes (see mesa deception -h)\n"},
		{[]string{"5"}, `mesa: deception: unexpected argument "5"` + "\n"},
	}
	for _, tt := range tests {
		args := append([]string{"deception"}, tt.args...)
		out, errOut, code := mesa(t, args...)
		if code != 2 || errOut != tt.want || out != "" {
			t.Errorf("mesa %v: exit %d, stdout %q, stderr %q; want exit 2, stderr %q", args, code, out, errOut, tt.want)
		}
	}
}
