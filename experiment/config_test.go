package experiment

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
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
			`config: families[0]: line 7: unknown field "hidden" (known: beta, corner_size, discount, iterations, noise)`},
		{func(s string) string { return strings.Replace(s, "{name: planner}", "{name: reactive, radius: 17}", 1) },
			`config: families[0].reactive.window.radius: 17 out of range [0, 16]`},
		{func(s string) string { return strings.Replace(s, "{name: planner}", "{name: mlp, hidden: 2000}", 1) },
			`config: families[0].mlp.hidden: 2000 out of range [0, 1024]`},
		{func(s string) string { return strings.Replace(s, "{name: planner}", "{name: plan}", 1) },
			`config: families[0].name: unknown family "plan" (known: reactive, planner, mlp)`},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: cmaes}", 1) },
			`config: optimizers[0].name: unknown optimizer "cmaes" (known: ga, es, sgd)`},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: ga, learning_rate: 0.1}", 1) },
			`config: optimizers[0]: line 8: unknown field "learning_rate" (known: crossover, crossover_rate, elites,`},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: adam}", 1) },
			`config: optimizers[0].name: unknown optimizer "adam"`},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: sgd, update: rmsprop}", 1) },
			`config: optimizers[0].update: unknown update rule "rmsprop"`},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: ga}, {name: ga}", 1) },
			`config: optimizers[1].name: optimizer "ga" given twice`},
		{func(s string) string { return strings.Replace(s, "env_steps: 1000", "env_steps: -5", 1) },
			`config: budget: negative budget`},
		{func(s string) string { return strings.Replace(s, "seed: 3", "seed: minus one", 1) },
			`config: seed: line 3: "minus one" is not an integer`},
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
	if c.Train.Randomize != 0.1 || c.Splits[1].Distribution.Loops != 0.2 || noiseKind(c.Families[1]) != 1 {
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
	var points []*Config
	for k := range c.Sweep.Points() {
		p, err := c.Point(k)
		if err != nil {
			t.Fatal(err)
		}
		points = append(points, p)
	}
	if _, err := c.Point(4); err == nil {
		t.Error("point 4 of 4")
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
		if p.Train.Randomize != w.randomize || p.Optimizers[0].Settings.(*gaSettings).Sigma != w.sigma || p.Train.Name != w.label || len(p.Sweep) != 0 {
			t.Errorf("point %d: randomize %v sigma %v label %q sweep %v; want %+v", i, p.Train.Randomize, p.Optimizers[0].Settings.(*gaSettings).Sigma, p.Train.Name, p.Sweep, w)
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
		{[]string{"train.bogus=1"}, `config: train.bogus: unknown field (known in train: apples,`},
		{[]string{"budget.env_steps=abc"}, `config: budget.env_steps: "abc" is not an integer`},
		{[]string{"train.randomize=abc"}, `config: train.randomize: "abc" is not a number`},
		{[]string{"evaluate.greedy=maybe"}, `config: evaluate.greedy: "maybe" is not true or false`},
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
		{func(s string) string { return s + "sweep: {train.bogus: [1]}\n" }, "config: sweep point 0 (train.bogus=1): train.bogus: unknown field (known in train: apples,"},
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

// TestParseNumbers: an integer field takes an integer it can hold, exactly
// (yaml reads 2.5 into an int as 2, and 2^64 into a uint64 as 2^63); a
// float field takes a value its check accepts, and the range a message
// states is the one it checks.
func TestParseNumbers(t *testing.T) {
	for _, tt := range []struct {
		edit func(string) string
		want string // "" for accepted
	}{
		{func(s string) string { return strings.Replace(s, "seed: 3", "seed: 18446744073709551616", 1) },
			"config: seed: line 3: 18446744073709551616 out of range [0, 18446744073709551615]"},
		{func(s string) string { return strings.Replace(s, "seed: 3", "seed: 1.8446744073709552e19", 1) },
			"config: seed: line 3: 1.8446744073709552e19 out of range [0, 18446744073709551615]"},
		{func(s string) string { return strings.Replace(s, "seed: 3", "seed: -1", 1) },
			"config: seed: line 3: -1 out of range [0, 18446744073709551615]"},
		{func(s string) string { return strings.Replace(s, "seed: 3", "seed: 1.5", 1) }, "config: seed: line 3: 1.5 is not an integer"},
		{func(s string) string { return strings.Replace(s, "seed: 3", "seed: .nan", 1) }, "config: seed: line 3: .nan is not an integer"},
		{func(s string) string { return strings.Replace(s, "seed: 3", "seed: 1e17", 1) },
			"config: seed: line 3: 1e17 is too large to be read exactly as a float: write the integer's digits"},
		{func(s string) string { return strings.Replace(s, "seed: 3", "seed: 18446744073709551615", 1) }, ""},
		{func(s string) string { return strings.Replace(s, "seed: 3", "seed: 1e3", 1) }, ""},
		{func(s string) string { return strings.Replace(s, "seed: 3", "seed: 0x1_0", 1) }, ""},
		{func(s string) string { return s + "seeds: 2.5\n" }, "config: seeds: line 10: 2.5 is not an integer"},
		{func(s string) string { return s + "seeds: 9223372036854775808\n" },
			"config: seeds: line 10: 9223372036854775808 out of range [-9223372036854775808, 9223372036854775807]"},
		{func(s string) string { return s + "seeds: 9.3e18\n" },
			"config: seeds: line 10: 9.3e18 out of range [-9223372036854775808, 9223372036854775807]"},
		{func(s string) string { return s + "evaluate: {episodes: [3]}\n" }, "config: line 10: cannot unmarshal !!seq"},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: sgd, clip_norm: .inf}", 1) },
			"config: optimizers[0].clip_norm: +Inf out of range: want a finite norm > 0"},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: sgd, clip_norm: -.inf}", 1) },
			"config: optimizers[0].clip_norm: -Inf out of range"},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: sgd, clip_norm: -1}", 1) },
			"config: optimizers[0].clip_norm: -1 out of range"},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: sgd, clip_norm: .nan}", 1) },
			"config: optimizers[0].clip_norm: NaN out of range"},
		{func(s string) string { return strings.Replace(s, "{name: ga}", "{name: sgd, clip_norm: 1e9}", 1) }, ""},
		{func(s string) string { return strings.Replace(s, "{name: planner}", "{name: planner, beta: 1e6}", 1) },
			"config: families[0].beta: 1e+06 out of range [0, 1e6)"},
		{func(s string) string {
			return strings.Replace(s, "{name: planner}", "{name: planner, beta: 999999}", 1)
		}, ""},
	} {
		_, err := Parse(strings.NewReader(tt.edit(base)))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v", tt.edit(""), err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
			t.Errorf("%q: %v\nwant prefix %q", tt.edit(""), err, tt.want)
		}
	}
	c, err := Parse(strings.NewReader(strings.Replace(base, "seed: 3", "seed: 18446744073709551615", 1)))
	if err != nil || c.Seed != 1<<64-1 {
		t.Errorf("seed 2^64-1: %v, %v", c, err)
	}
}

// TestParseOneDocument: a config is one YAML document; a second one, in
// the file or in a --set value, is refused, never silently dropped, and an
// error never echoes raw bytes.
func TestParseOneDocument(t *testing.T) {
	for _, tt := range []struct {
		text string
		set  []string
		want string
	}{
		{base + "---\nname: other\n", nil, "config: line 10: a second YAML document starts here (after ---); give one document"},
		{base + "---\n", nil, "config: line 10: a second YAML document starts here"},
		{base + "---\n[1, 2\n", nil, "config: a second YAML document follows the first:"},
		{"---\n" + base, nil, ""},
		{base + "...\n", nil, ""},
		{base, []string{"seeds=2\n---\nname: x"}, `config: --set seeds: value "2\n---\nname: x": line 2: a second YAML document starts here`},
		{base, []string{"seeds=2\n---"}, `config: --set seeds: value "2\n---": line 2: a second YAML document`},
		{base, []string{"s\xffeeds=2"}, `config: --set "s\xffeeds": config path "s\xffeeds": bad key`},
		{base, []string{"name=\xff"}, `config: --set name: value "\xff": invalid leading UTF-8 octet`},
	} {
		_, err := ParseWith(strings.NewReader(tt.text), tt.set)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q %q: %v", tt.text, tt.set, err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
			t.Errorf("%q %q: %v\nwant prefix %q", tt.text, tt.set, err, tt.want)
		case err != nil && !utf8.ValidString(err.Error()):
			t.Errorf("%q %q: error %q is not valid UTF-8", tt.text, tt.set, err)
		}
	}
}

// TestAliases: YAML aliases are expanded once, within a budget of
// values: an alias bomb is refused at once with one line saying why, a
// modest alias is read as its anchor's value, and an alias of itself is
// refused.
func TestAliases(t *testing.T) {
	// The 802-byte bomb: ten levels, each nine aliases of the level below.
	var b strings.Builder
	b.WriteString("[&v0 [0,0,0,0,0,0,0,0,0]")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, ", &v%d [%s]", i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*v%d,", i-1), 9), ","))
	}
	b.WriteString("]")
	bomb := b.String()
	start := time.Now()
	_, err := Parse(strings.NewReader(base + "sweep: {train.randomize: " + bomb + "}\n"))
	if err == nil || !strings.HasPrefix(err.Error(), "config: line 10: the YAML expands to more than 200000 values (through its aliases, *name)") {
		t.Errorf("alias bomb: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("refusing the alias bomb took %v", d)
	}
	// The same through --set.
	_, err = ParseWith(strings.NewReader(base), []string{"reference=" + bomb})
	if err == nil || !strings.Contains(err.Error(), "expands to more than 200000 values") {
		t.Errorf("alias bomb in --set: %v", err)
	}

	c, err := Parse(strings.NewReader(strings.Replace(base, "splits:\n  - {name: deploy, distribution: {preset: deploy}}",
		"splits:\n  - {name: deploy, distribution: &d {preset: deploy, loops: 0.2}}\n  - {name: again, distribution: *d}", 1) +
		"sweep:\n  splits[0].distribution.loops: [0.1, 0.3]\n"))
	if err != nil {
		t.Fatal(err)
	}
	p1, err := c.Point(1)
	if err != nil {
		t.Fatal(err)
	}
	// The alias is a copy: setting the anchor's field leaves it alone.
	if d := c.Splits[1].Distribution; d.Loops != 0.2 || p1.Splits[0].Distribution.Loops != 0.3 || p1.Splits[1].Distribution.Loops != 0.2 {
		t.Errorf("splits %+v; point 1 %+v", c.Splits, p1.Splits)
	}
	if _, err := Parse(strings.NewReader(base + "reference: &r [*r]\n")); err == nil || !strings.Contains(err.Error(), `anchor "r" contains an alias of itself`) {
		t.Errorf("recursive alias: %v", err)
	}
}

// TestPlainValues: the sweep values read and written without the YAML
// parser and emitter are read and written as they would be with them.
func TestPlainValues(t *testing.T) {
	for _, text := range []string{"0", "-1", "+1", "0.25", "-0.5", ".5", "1e3", "1E-3", "0x1F", "0o17", "0b101", "1_000", ".inf", "-.inf", ".nan",
		"true", "False", "yes", "null", "Null", "NULL", "green", "to-colour", "a.b", "a_b", "-x", ".x", "_", "+", "."} {
		if !plainText(text) {
			t.Errorf("%q is not plain", text)
			continue
		}
		fast, err := valueNode(text)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := parseDocument([]byte(text))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		slow := doc.Content[0]
		if fast.Kind != slow.Kind || fast.Tag != slow.Tag || fast.Value != slow.Value || fast.Style != slow.Style || fast.Line != slow.Line || fast.Column != slow.Column {
			t.Errorf("%q: node %+v, the parser's %+v", text, fast, slow)
		}
		b, err := yaml.Marshal(slow)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(b)); !plainNode(slow) || got != text {
			t.Errorf("%q: Marshal writes %q (plain node: %v)", text, got, plainNode(slow))
		}
	}
	for _, text := range []string{"", "-", "---", "...", "--x", "..x", "a b", "a:b", "[1]", "'1'", "~", "#", "1 # c", "a,b"} {
		if plainText(text) {
			t.Errorf("%q is plain", text)
		}
	}
}

// TestUnitsAtOnce: the memory estimate of a unit times the units run at
// once must fit the machine: with --workers unset mesa runs fewer units at
// once, with --workers given it refuses, saying how many fit.
func TestUnitsAtOnce(t *testing.T) {
	const gb = 1 << 30
	for _, tt := range []struct {
		workers, n int
		unit       float64
		total      int64
		want       int
		err        string
	}{
		{0, 8, 1 * gb, 16 * gb, 8, ""},
		{0, 8, 3 * gb, 16 * gb, 5, ""},
		{0, 8, 20 * gb, 16 * gb, 1, ""}, // one unit: Validate's check
		{8, 8, 3 * gb, 16 * gb, 0, "run: --workers 8 runs 8 units at once, which need about 25.8 GB of memory (3.2 GB each), more than this machine's 17.2 GB; give --workers 5 or fewer"},
		{8, 3, 3 * gb, 16 * gb, 3, ""}, // 3 units to do
		{4, 4, 3 * gb, 0, 4, ""},       // memory unknown
	} {
		got, err := atOnce(tt.workers, tt.n, tt.unit, tt.total)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
			t.Errorf("atOnce(%d, %d, %v, %v) = %d, %v; want %d, %q", tt.workers, tt.n, tt.unit, tt.total, got, err, tt.want, tt.err)
		}
	}
	// A unit trains one optimizer × family: its estimate is the largest
	// pair's, not the sum of every pair's.
	c, err := Parse(strings.NewReader(strings.Replace(base, "{name: ga}", "{name: ga, population: 4096}, {name: sgd}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	ga := c.trainingTerm(c.Optimizers[0], c.Families[0]).bytes
	sgd := c.trainingTerm(c.Optimizers[1], c.Families[0]).bytes
	if u := c.largestUnit().bytes; ga <= sgd || u != ga+c.evaluationTerm().bytes {
		t.Errorf("largest unit %v, want ga %v + evaluation %v (sgd %v)", u, ga, c.evaluationTerm().bytes, sgd)
	}
}

// TestLazySweep: a sweep's points are made when asked for, from one
// shared document, so that planning costs little memory per point; a
// grid past the cap is refused without counting it out.
func TestLazySweep(t *testing.T) {
	var values []string
	for i := range 1000 {
		values = append(values, fmt.Sprint(i))
	}
	text := base + "reference: [oracle]\nsweep:\n  seed: [" + strings.Join(values, ", ") + "]\n  train.randomize: [0, 0.5]\n  evaluate.episodes: [1, 2]\n"
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c, err := Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(c)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if len(p.Units) != 8000 || p.Points != 4000 {
		t.Fatalf("%d units at %d points, want 8000 at 4000", len(p.Units), p.Points)
	}
	// Each point's units are 2 × 56 bytes; its config is made again when
	// needed. The plan once kept a copy of the document per point.
	per := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / 4000
	t.Logf("%.0f bytes per point", per)
	if per > 400 {
		t.Errorf("the plan holds %.0f bytes per sweep point", per)
	}
	runtime.KeepAlive(p)
	pc, err := c.Point(3999)
	if err != nil || pc.Seed != 999 || pc.Train.Randomize != 0.5 || pc.Evaluate.Episodes != 2 || len(pc.Sweep) != 0 {
		t.Errorf("point 3999: %v, %+v", err, pc)
	}
	if u := p.Units[7999]; u.Point != 3999 || u.Family != "oracle" {
		t.Errorf("last unit %+v", u)
	}

	huge := base + "sweep:\n"
	for i := range 10 {
		huge += fmt.Sprintf("  p%d.x: [%s]\n", i, strings.Repeat("1, ", 99)+"1")
	}
	if _, err := Parse(strings.NewReader(huge)); err == nil || !strings.HasPrefix(err.Error(), "config: sweep: 100000000000000000000 points, more than 100000") {
		t.Errorf("a grid of 100^10 points: %v", err)
	}
	many := base + "sweep: {seed: [" + strings.Repeat("1, ", 1000) + "1]}\n"
	if _, err := Parse(strings.NewReader(many)); err == nil || !strings.HasPrefix(err.Error(), "config: sweep: seed: line 10: 1001 values, more than 1000 for one path") {
		t.Errorf("1001 values of one path: %v", err)
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

// noiseKind is the observation noise kind of a family's settings.
func noiseKind(f Family) int {
	switch s := f.Settings.(type) {
	case *reactiveSettings:
		return int(s.Noise.Kind)
	case *mlpSettings:
		return int(s.Noise.Kind)
	case *plannerSettings:
		return int(s.Noise.Kind)
	}
	return -1
}
