package experiment

import (
	"os"
	"strings"
	"testing"
)

func TestPresetsParse(t *testing.T) {
	for _, name := range PresetNames() {
		c, err := Preset(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Name != name {
			t.Errorf("preset %s is named %q", name, c.Name)
		}
		if PresetSummary(name) == "" {
			t.Errorf("preset %s has no leading comment", name)
		}
		// The resolved config is itself a valid config.
		b, err := c.ResolvedYAML()
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(strings.NewReader(string(b)))
		if err != nil {
			t.Fatalf("%s: resolved config does not parse: %v\n%s", name, err, b)
		}
		b2, _ := again.ResolvedYAML()
		if string(b) != string(b2) {
			t.Errorf("%s: resolving is not idempotent", name)
		}
	}
	if _, err := Preset(DefaultPreset); err != nil {
		t.Fatal(err)
	}
}

const base = `
name: t
seed: 3
train: {preset: train}
splits:
  - {name: deploy, distribution: {preset: deploy}}
families: [{name: planner}]
optimizers: [{name: ga}]
budget: {env_steps: 1000}
`

func TestParseOverridesPreset(t *testing.T) {
	c, err := Parse(strings.NewReader(base + `
evaluate: {episodes: 7}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Splits[0].Episodes != 7 || c.Seeds != 1 || c.BaseReturn != "sooner" {
		t.Errorf("defaults not filled: %+v", c)
	}
	c, err = Parse(strings.NewReader(strings.Replace(base, "{preset: deploy}", "{preset: deploy, loops: 0.25, exit: {colours: [blue]}}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseReturn != "sooner" {
		t.Errorf("base_return %q, want the default sooner", c.BaseReturn)
	}
	d := c.Splits[0].Distribution
	if d.Loops != 0.25 || d.Exit.Colours[0] != "blue" || d.Exit.Region != "anywhere" || d.Width.Min != 15 {
		t.Errorf("override lost preset fields or did not apply: %+v", d.Distribution)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		edit func(string) string
		want string
	}{
		{func(s string) string { return s + "bogus: 1\n" }, `config: line 10: unknown field "bogus"`},
		{func(s string) string {
			return strings.Replace(s, "{preset: train}", "{preset: train, exit: {region: botom-right, size: 1}}", 1)
		},
			`config: train.exit.region: unknown region "botom-right"`},
		{func(s string) string {
			return strings.Replace(s, "{preset: train}", "{preset: train, exit: {regoin: x}}", 1)
		},
			`config: train.exit: line 4: unknown field "regoin"`},
		{func(s string) string { return strings.Replace(s, "{preset: train}", "{preset: trian}", 1) },
			`config: train.preset: unknown distribution preset "trian"`},
		{func(s string) string { return strings.Replace(s, "{name: planner}", "{name: plant}", 1) },
			`config: families[0].name: unknown family "plant"`},
		{func(s string) string { return strings.Replace(s, "{name: planner}", "{name: planner, hidden: 3}", 1) },
			`config: families[0].hidden: does not apply to family planner`},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: ga, learning_rate: 0.1}", 1) },
			`config: optimizers[0].learning_rate: does not apply to optimizer ga`},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: adam}", 1) },
			`config: optimizers[0].name: unknown optimizer "adam"`},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: sgd, update: rmsprop}", 1) },
			`config: optimizers[0].update: unknown update rule "rmsprop"`},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: ga}, {name: ga}", 1) },
			`config: optimizers[1].name: optimizer "ga" given twice`},
		{func(s string) string { return strings.Replace(s, "env_steps: 1000", "env_steps: -5", 1) },
			`config: budget: negative budget`},
		{func(s string) string { return strings.Replace(s, "seed: 3", "seed: minus one", 1) },
			`config: line 3: cannot unmarshal !!str`},
		{func(s string) string { return strings.Replace(s, "name: deploy,", "name: Deploy!,", 1) },
			`config: splits[0].name: "Deploy!"`},
		{func(s string) string { return s + "reference: [to-colour:teal]\n" },
			`config: reference[0]:`},
		{func(s string) string { return strings.Replace(s, "name: deploy,", "name: probe,", 1) },
			`config: splits[0].name: "probe" is the probe split`},
		{func(s string) string { return s + "probe: {episodes: -3}\n" }, `config: probe.episodes: -3 out of range`},
		{func(s string) string { return s + "probe: {off: true, episodes: 5}\n" }, `config: probe.episodes: given with probe.off`},
		{func(s string) string { return s + "monitor: {levels: -1}\n" }, `config: monitor.levels: -1 out of range [1, 10000]`},
		{func(s string) string { return s + "monitor: {checkpoints: 100000}\n" }, `config: monitor.checkpoints: 100000 out of range [1, 10000]`},
		{func(s string) string { return s + "monitor: {off: true, levels: 8}\n" }, `config: monitor: levels or checkpoints given with monitor.off`},
		{func(s string) string {
			return strings.Replace(s, "{preset: train}", "{preset: train, exit: {colours: [green, gray, red, blue, yellow, purple, orange]}}", 1)
		}, `config: probe: the training distribution offers no probe: exit.colours: the colour proxies need two colours training never shows`},
		{func(s string) string { return s + "base_return: minigrid\n" },
			`config: base_return: unknown base return "minigrid"`},
		{func(s string) string { return s + "evaluate: {agents: 3}\n" },
			`config: evaluate: line 10: unknown field "agents"`},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: ga, hall_of_fame: 3}", 1) },
			`config: optimizers[0]: line 8: unknown field "hall_of_fame"`},
		{func(s string) string { return "" }, `config: empty document`},
		{func(s string) string { return "[1, 2" }, `config: `},
		{func(s string) string { return "- 1\n- 2\n" }, `config: line 1: want a mapping`},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader(tt.edit(base)))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("got %v\nwant prefix %q", err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("error is not one line: %q", err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, n := range PresetNames() {
		b, _ := PresetText(n)
		f.Add(b)
	}
	f.Add([]byte(base))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted a config Validate rejects: %v", err)
		}
	})
}

// TestREADMEConfig keeps the README's example config valid.
func TestREADMEConfig(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```yaml\n")
	if !ok {
		t.Fatal("README has no yaml example")
	}
	text, _, _ := strings.Cut(rest, "```")
	c, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatalf("README example: %v", err)
	}
	if c.Train.Randomize != 0.1 || c.Splits[1].Distribution.Loops != 0.2 || c.Families[1].Noise.Kind != 1 {
		t.Errorf("README example did not apply its overrides: %+v", c)
	}
}

// TestSweepPoints: a sweep's points are the grid of its values, the first
// path varying slowest; each point is a config of its own, and a preset
// distribution with overrides is labelled by them.
func TestSweepPoints(t *testing.T) {
	c, err := Parse(strings.NewReader(base + "sweep:\n  train.randomize: [0, 0.25]\n  optimizers[0].sigma: [0.3, 0.5]\n"))
	if err != nil {
		t.Fatal(err)
	}
	points, err := c.Points()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		randomize, sigma float64
		label            string
	}{{0, 0.3, "train"}, {0, 0.5, "train"}, {0.25, 0.3, "train+randomize=0.25"}, {0.25, 0.5, "train+randomize=0.25"}}
	if len(points) != len(want) {
		t.Fatalf("%d points, want %d", len(points), len(want))
	}
	for i, p := range points {
		w := want[i]
		if p.Train.Randomize != w.randomize || p.Optimizers[0].Sigma != w.sigma || p.Train.Name != w.label || len(p.Sweep) != 0 {
			t.Errorf("point %d: randomize %v sigma %v label %q sweep %v; want %+v", i, p.Train.Randomize, p.Optimizers[0].Sigma, p.Train.Name, p.Sweep, w)
		}
	}
	plan, err := NewPlan(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Units) != 4 || plan.Units[3].ID() != "p3/ga/planner/s0" || plan.Units[3].Dir() != "p0003-ga-planner-s0000" {
		t.Errorf("units %+v", plan.Units)
	}
	if got := strings.Join(plan.PointValues(2), " "); got != "train.randomize=0.25 optimizers[0].sigma=0.3" {
		t.Errorf("point 2 values %q", got)
	}
}

func TestSetOverrides(t *testing.T) {
	c, err := ParseWith(strings.NewReader(base), []string{"train.randomize=0.1", "seeds=3", "splits[0].distribution.loops=0.3", "probe={episodes: 7}"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Train.Randomize != 0.1 || c.Seeds != 3 || c.Splits[0].Distribution.Loops != 0.3 || c.Probe.Episodes != 7 {
		t.Errorf("overrides not applied: %+v", c)
	}
	if c.Train.Name != "train+randomize=0.1" || c.Splits[0].Distribution.Name != "deploy+loops=0.3" {
		t.Errorf("labels %q, %q", c.Train.Name, c.Splits[0].Distribution.Name)
	}
	for _, tt := range []struct {
		set  []string
		want string
	}{
		{[]string{"seeds"}, `config: --set "seeds": want path=value`},
		{[]string{"train.bogus=1"}, `config: train: line`},
		{[]string{"splits[3].episodes=1"}, `config: --set splits[3].episodes: splits[3]: no element 3 (the list has 1)`},
		{[]string{"name.x=1"}, `config: --set name.x: name: cannot set field x inside "t"`},
		{[]string{"Seeds=1"}, `config: --set Seeds: config path "Seeds": bad key "Seeds"`},
		{[]string{"train.randomize=[1"}, `config: --set train.randomize: value "[1"`},
	} {
		_, err := ParseWith(strings.NewReader(base), tt.set)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("--set %v: %v, want prefix %q", tt.set, err, tt.want)
		}
	}
}

// TestConfigRefusals covers the configs the reliability trial found
// accepted: names that leave runs/, duplicate references, memory no
// machine has, input that is no config.
func TestConfigRefusals(t *testing.T) {
	for _, tt := range []struct {
		edit func(string) string
		want string
	}{
		{func(s string) string { return strings.Replace(s, "name: t", "name: ../../etc", 1) },
			`config: name: "../../etc" must be a plain name`},
		{func(s string) string { return strings.Replace(s, "name: t", "name: ''", 1) }, `config: name: "" must be a plain name`},
		{func(s string) string { return s + "reference: [oracle, oracle]\n" }, `config: reference[1]: "oracle" is reference[0] again`},
		{func(s string) string { return s + "reference: [oracle, oracle@beta=0]\n" }, `config: reference[1]: "oracle@beta=0" is reference[0] again`},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: sgd, batch: 1000000000}", 1) },
			"config: needs about"},
		{func(s string) string {
			return strings.Replace(s, "{name: ga}", "{name: sgd, level_pool: 1000000000}", 1)
		},
			"config: needs about"},
		{func(s string) string {
			return strings.Replace(s, "{name: ga}", "{name: ga, population: 1048576, populations: 1024}", 1)
		}, "config: needs about"},
		{func(s string) string { return s + "sweep: {train.randomize: [0, 1.5]}\n" },
			"config: sweep point 1 (train.randomize=1.5): train.randomize: 1.5 out of range [0, 1]"},
		{func(s string) string { return s + "sweep: {train.randomize: 0.5}\n" }, "config: sweep: train.randomize: line 10: want a non-empty list"},
		{func(s string) string { return s + "sweep: {train.bogus: [1]}\n" }, "config: sweep point 0 (train.bogus=1): train: line"},
	} {
		_, err := Parse(strings.NewReader(tt.edit(base)))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("got %v\nwant prefix %q", err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("error is not one line: %q", err)
		}
	}
	f, err := os.Open("/dev/zero")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	if _, err := Parse(f); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("/dev/zero as a config: %v", err)
	}
}

// TestProbeConfig: the probe split's new settings are validated, each
// error naming the field, and resolve to their defaults.
func TestProbeConfig(t *testing.T) {
	base := "name: x\ntrain: {preset: train}\nsplits: [{name: deploy, distribution: {preset: deploy}}]\nreference: [oracle]\n"
	c, err := Parse(strings.NewReader(base))
	if err != nil {
		t.Fatal(err)
	}
	if g := c.Probe.Graded; len(g.Offsets) != 9 || g.Offsets[0] != -8 || g.Episodes != 6 || c.Probe.Verdict.Resamples != 200 || c.Probe.Verdict.Stability != 0.8 {
		t.Errorf("defaults %+v", c.Probe)
	}
	for _, tt := range []struct{ probe, want string }{
		{"probe: {exit_colour: mauve}", `probe.exit_colour: unknown colour "mauve"`},
		{"probe: {exit_colour: green}", "green is the colour of candidate colour:green"},
		{"probe: {exit_colour: red}", "red is the apples' colour on kind probes"},
		{"probe: {graded: {offsets: [2, 1]}}", "probe.graded.offsets[1]: 1 not above the offset before it"},
		{"probe: {graded: {offsets: [3]}}", "probe.graded.offsets: 1 offsets, want 2"},
		{"probe: {graded: {offsets: [-99, 0]}}", "probe.graded.offsets[0]: -99 out of range"},
		{"probe: {graded: {episodes: -1}}", "probe.graded.episodes: -1 out of range"},
		{"probe: {off: true, graded: {episodes: 2}}", "probe.graded: settings given with the probes or the graded probes off"},
		{"probe: {verdict: {stability: 1.5}}", "probe.verdict.stability: 1.5 out of range"},
		{"probe: {verdict: {min_gain: -1}}", "probe.verdict.min_gain: -1 out of range"},
	} {
		_, err := Parse(strings.NewReader(base + tt.probe + "\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.probe, err, tt.want)
		}
	}
	c, err = Parse(strings.NewReader(base + "probe: {exit_colour: yellow, graded: {off: true}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := c.candidates()
	if err != nil || cs.ExitColour.String() != "yellow" {
		t.Errorf("exit colour yellow: %v, %v", cs, err)
	}
}
