// Package experiment runs mesa's experiments: the config schema and its
// validation, presets, seed derivation, training and evaluation
// orchestration, and the run directory.
package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/analysis"
	"github.com/mesa-alignment/mesa/names"
	"github.com/mesa-alignment/mesa/world"
)

// A Config is one experiment: which agents are trained, by which base
// optimizers, on which training distribution, under which budget, and where
// they are evaluated. It is plain data, read from YAML (see Parse); the
// resolved form (presets expanded, defaults filled in) is stored with every
// run.
type Config struct {
	Name string `yaml:"name"`
	// Seed is the root seed; every level, individual and rollout stream
	// of the run is derived from it.
	Seed uint64 `yaml:"seed"`
	// Seeds is the number of independent training runs per (optimizer,
	// family) pair; 0 means 1.
	Seeds int `yaml:"seeds"`
	// Train is the training distribution.
	Train Dist `yaml:"train"`
	// Splits are the evaluation distributions, typically "train" (the
	// training distribution itself) and "deploy".
	Splits     []Split     `yaml:"splits"`
	Families   []Family    `yaml:"families"`
	Optimizers []Optimizer `yaml:"optimizers"`
	Budget     Budget      `yaml:"budget"`
	// BaseReturn is the base objective's return rule, used by training
	// and reported by evaluation: "sooner" (1 − 0.9·t/T for reaching the
	// exit on step t of step limit T, else 0; see world.Sooner) or
	// "binary" (1 for reaching it at any step). "" means sooner.
	BaseReturn string `yaml:"base_return"`
	// Reference lists scripted agents evaluated beside the trained ones
	// (agents.ScriptedByName labels such as "oracle" or
	// "to-colour:green"): agents with known objectives, the ground truth
	// the analysis is checked against.
	Reference []string `yaml:"reference,omitempty"`
	// Evaluate sets how evaluation episodes are played.
	Evaluate Evaluate `yaml:"evaluate"`
	// Probe sets the probe split: levels built from the training
	// distribution to separate the candidate objectives against controls
	// (analysis.Prober). Every run evaluates it unless Off.
	Probe Probe `yaml:"probe,omitempty"`
	// Monitor measures each training run's current agent on held-out
	// training levels at checkpoints, for learning curves.
	Monitor Monitor `yaml:"monitor,omitempty"`
	// Record says what a run keeps beyond what analysis needs.
	Record Record `yaml:"record,omitempty"`
	// Sweep is a grid over config paths; each point of it is a config of
	// its own, run with the same evaluation levels (see Sweep).
	Sweep Sweep `yaml:"sweep,omitempty"`

	// reg holds the families and optimizers the config may name; nil
	// means Builtin().
	reg *Registry

	// doc is the YAML document the config was parsed from, --set
	// overrides applied (once its sweep is resolved, without the sweep):
	// sweep points are made from it.
	doc *yaml.Node

	// Set by Resolve for a sweep, read only afterwards (Point is called
	// from several goroutines; a sweep changed after Resolve needs Resolve
	// again). pointDoc is doc without the sweep, sweepNodes the parsed
	// values of each swept path (nil for plain values, read again when
	// needed): each point's document is pointDoc with its values set. pointUnits holds each distinct list of units of a point
	// (Point and Index 0) and unitsOf the list of each point, so that a
	// plan never decodes a point again. unitBytes is the memory estimate of
	// the largest unit of any point.
	pointDoc   *yaml.Node
	sweepNodes [][]*yaml.Node
	pointUnits [][]Unit
	unitsOf    []int32
	unitBytes  float64
}

// Record says what a run keeps beyond what analysis needs.
type Record struct {
	// Population keeps every member of the GA's final population in
	// agents.arrow, θ included, and not only the final agent.
	Population bool `yaml:"population,omitempty"`
	// Steps writes steps.arrow: one row per environment step of every
	// evaluation episode.
	Steps bool `yaml:"steps,omitempty"`
	// Iterations keeps a training row for every generation or update;
	// without it training.arrow keeps the monitor's checkpoint rows and
	// the last iteration's.
	Iterations bool `yaml:"iterations,omitempty"`
	// Units keeps units/, each unit's own tables, after the merge; without
	// it the merged tables are all that stays.
	Units bool `yaml:"units,omitempty"`
}

// defaultCheckpoints is the number of checkpoint rows a training run
// writes, monitored or not, unless record.iterations keeps every row.
const defaultCheckpoints = 20

// Monitor configures the learning curves: the agent each optimizer would
// hand over at that moment, played on the same held-out training levels at
// checkpoints evenly spaced in environment steps. Its episodes are not
// charged to the budget and the optimizer never sees them.
type Monitor struct {
	// Off turns monitoring off.
	Off bool `yaml:"off,omitempty"`
	// Levels is the number of held-out training levels; 0 means 32.
	Levels int `yaml:"levels,omitempty"`
	// Checkpoints is the number of checkpoints over the budget; 0 means
	// 20. The first iteration is monitored too, as a starting point.
	Checkpoints int `yaml:"checkpoints,omitempty"`
}

// Probe configures the probe split.
type Probe struct {
	// Off turns the probe split, and with it attribution, off.
	Off bool `yaml:"off,omitempty"`
	// Episodes per evaluated agent, cycling through the probed candidates;
	// 0 means Evaluate.Episodes.
	Episodes int `yaml:"episodes,omitempty"`
	// ExitColour is the colour of the exit on probe and graded probe
	// levels; "" means the first palette colour training never shows (so
	// no colour proxy coincides with it, and the exit's colour weight is
	// one training never set). See probe.go.
	ExitColour string `yaml:"exit_colour,omitempty"`
	// Graded configures the graded probes (proxy strength in steps).
	Graded Graded `yaml:"graded,omitempty"`
	// Verdict configures the verdict's uncertainty.
	Verdict Verdict `yaml:"verdict,omitempty"`
}

// ProbeSplit is the name of the probe split; configs cannot use it.
const ProbeSplit = names.SplitProbe

// Dist is a level distribution in a config: a preset name, a full
// distribution, or a preset with some fields overridden.
type Dist struct {
	Preset             string `yaml:"preset,omitempty"`
	world.Distribution `yaml:",inline"`
	// Curriculum chooses the training levels from the distribution
	// (train.curriculum only; see Curriculum).
	Curriculum Curriculum `yaml:"curriculum,omitempty"`
}

// A Split is one evaluation distribution.
type Split struct {
	Name         string `yaml:"name"`
	Distribution Dist   `yaml:"distribution"`
	// Episodes per evaluated agent; 0 means Evaluate.Episodes.
	Episodes int `yaml:"episodes,omitempty"`
}

// Evaluate sets how evaluation episodes are played.
type Evaluate struct {
	// Episodes per agent and split; 0 means 100.
	Episodes int `yaml:"episodes"`
	// Greedy plays the most probable action instead of sampling.
	Greedy bool `yaml:"greedy"`
}

// Budget bounds each training run, in the same units for every optimizer.
type Budget struct {
	EnvSteps     int     `yaml:"env_steps"`
	Episodes     int     `yaml:"episodes,omitempty"`
	Iterations   int     `yaml:"iterations,omitempty"`
	TargetReturn float64 `yaml:"target_return,omitempty"`
}

// A Family selects a policy family and its settings. Settings that do not
// apply to the family are rejected by Validate.
// MaxConfigBytes bounds the size of a config: anything longer is not one.
const MaxConfigBytes = 1 << 20

// Parse reads a config from YAML, rejecting unknown fields with their path,
// expands presets and fills defaults, and validates it, every sweep point
// included. Errors start with "config: " and name the field, as in
// `config: train.exit.region: unknown region "botom-right"`.
func Parse(r io.Reader) (*Config, error) { return ParseContext(context.Background(), r, nil) }

// ParseWith is Parse with overrides: each of set is "path=value" (a config
// path as in Sweep, a YAML value), applied in order to the document before
// it is decoded, as `mesa run --set` does.
func ParseWith(r io.Reader, set []string) (*Config, error) {
	return ParseContext(context.Background(), r, set)
}

// ParseContext is ParseWith, stopped when ctx is done: validating every
// point of a large sweep takes a while.
func ParseContext(ctx context.Context, r io.Reader, set []string) (*Config, error) {
	return Builtin().ParseContext(ctx, r, set)
}

// ParseContext is the package's ParseContext with the families and
// optimizers of reg.
func (reg *Registry) ParseContext(ctx context.Context, r io.Reader, set []string) (*Config, error) {
	text, err := io.ReadAll(io.LimitReader(r, MaxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if len(text) > MaxConfigBytes {
		return nil, fmt.Errorf("config: longer than %d bytes, which no config is", MaxConfigBytes)
	}
	doc, err := parseDocument(text)
	if errors.Is(err, io.EOF) {
		return nil, errors.New("config: empty document")
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for _, kv := range set {
		path, value, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("config: --set %s: want path=value", strconv.Quote(kv))
		}
		if _, err := parsePath(path); err != nil {
			return nil, fmt.Errorf("config: --set %s: %w", printable(path), err)
		}
		// A valid path is plain ASCII: it is safe to echo as it is.
		v, err := valueNode(value)
		if err == nil {
			fromSet(v)
			doc, err = setPath(doc, path, v)
		}
		if err != nil {
			return nil, fmt.Errorf("config: --set %s: %w", path, err)
		}
	}
	if len(set) > 0 {
		if _, err := (&expander{sizes: map[*yaml.Node]int{}}).size(doc); err != nil {
			return nil, fmt.Errorf("config: with --set: %w", err)
		}
	}
	c := Config{reg: reg}
	if err := decodeConfig(doc, &c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c.doc = doc
	if err := c.resolve(ctx); err != nil {
		return nil, err
	}
	return &c, nil
}

// fromSet marks the nodes of a --set value as made by --set (line 0), so
// that errors about them name the path, not a line of a text the user
// never wrote. valueNode's nodes are new: nothing else shares them.
func fromSet(n *yaml.Node) {
	n.Line, n.Column = 0, 0
	for _, c := range n.Content {
		fromSet(c)
	}
}

// Point returns the config of sweep point k, in [0, Sweep.Points()) (c
// itself when there is no sweep): the document c was parsed from with each
// swept path set to the point's value, decoded and resolved. Points are
// made when asked for, never all at once; each shares the unchanged part
// of c's document. A Config built in code is re-read from its resolved
// YAML.
func (c *Config) Point(k int) (*Config, error) {
	if len(c.Sweep) == 0 {
		if k != 0 {
			return nil, fmt.Errorf("config: no sweep point %d: the config has no sweep", k)
		}
		return c, nil
	}
	if n := c.Sweep.Points(); k < 0 || k >= n {
		return nil, fmt.Errorf("config: no sweep point %d: the sweep has %d points", k, n)
	}
	doc := c.pointDoc
	if doc == nil {
		var err error
		if doc, err = c.sweepBase(); err != nil {
			return nil, err
		}
	}
	var desc []string
	for i, v := range c.Sweep.indices(k) {
		p := c.Sweep[i]
		var node *yaml.Node
		var err error
		if c.sweepNodes != nil {
			node = c.sweepNodes[i][v]
		}
		if node == nil {
			node, err = valueNode(p.Values[v])
		}
		if err == nil {
			doc, err = setPath(doc, p.Path, node)
		}
		if err != nil {
			return nil, fmt.Errorf("config: sweep: %s: %w", p.Path, err)
		}
		desc = append(desc, p.Path+"="+p.Values[v])
	}
	pc := Config{reg: c.reg}
	err := decodeConfig(doc, &pc)
	if err == nil {
		pc.doc = doc
		err = pc.Resolve()
	}
	if err != nil {
		return nil, fmt.Errorf("config: sweep point %d (%s): %s", k, strings.Join(desc, ", "),
			strings.TrimPrefix(err.Error(), "config: "))
	}
	return &pc, nil
}

// sweepBase returns the document of c without its sweep: what every
// point's document is made from.
func (c *Config) sweepBase() (*yaml.Node, error) {
	doc := c.doc
	if doc == nil {
		b, err := c.ResolvedYAML()
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		if doc, err = parseDocument(b); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	return withoutKey(doc, "sweep"), nil
}

// decodeConfig decodes the document, then redecodes each distribution
// that names a preset on top of that preset, so that a config can say
// "the deploy preset, but with loops 0.2".
func decodeConfig(doc *yaml.Node, c *Config) error {
	reg := c.registry()
	if err := decodeStrict(doc, "", c); err != nil {
		return err
	}
	c.reg = reg
	if err := c.decodeSettings(); err != nil {
		return err
	}
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	expand := func(path string, n *yaml.Node, d *Dist) error {
		if d.Preset == "" || n == nil {
			return nil
		}
		p, err := world.Preset(d.Preset)
		if err != nil {
			return fmt.Errorf("%s.preset: %w", path, err)
		}
		d.Distribution = p
		if err := decodeStrict(n, path, d); err != nil {
			return err
		}
		if d.Name == p.Name {
			d.Name = overrideLabel(p, d.Distribution)
		}
		return nil
	}
	if err := expand("train", mapValue(root, "train"), &c.Train); err != nil {
		return err
	}
	if splits := mapValue(root, "splits"); splits != nil && splits.Kind == yaml.SequenceNode {
		for i := range c.Splits {
			if i < len(splits.Content) {
				path := fmt.Sprintf("splits[%d].distribution", i)
				if err := expand(path, mapValue(splits.Content[i], "distribution"), &c.Splits[i].Distribution); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// overrideLabel names a preset distribution with overrides by what it is:
// the preset's name followed by each field that differs from it, in field
// order, as "train+randomize=0.05" or "deploy+loops=0.2+exit.colours=[blue]".
// Without overrides it is the preset's name.
func overrideLabel(preset, d world.Distribution) string {
	// flatYAML goes through YAML: remember recent labels, so that the
	// points of a sweep, whose distributions mostly repeat, are labelled
	// at the cost of a map look-up.
	key := preset.Name + "\x00" + fmt.Sprintf("%#v", d) // a preset is its name
	labels.Lock()
	defer labels.Unlock()
	if l, ok := labels.m[key]; ok {
		return l
	}
	if len(labels.m) >= 1024 {
		clear(labels.m)
	}
	l := overrideLabelOf(preset, d)
	labels.m[key] = l
	return l
}

// labels caches overrideLabel.
var labels = struct {
	sync.Mutex
	m map[string]string
}{m: map[string]string{}}

func overrideLabelOf(preset, d world.Distribution) string {
	a, b := flatYAML(preset), flatYAML(d) // a, a preset's, is in the cache after its first point
	label := preset.Name
	for _, kv := range b {
		if !slices.Contains(a, kv) {
			label += "+" + kv
		}
	}
	return label
}

// flatYAML returns a distribution as "path=value" strings, one per leaf
// field, the name left out.
func flatYAML(d world.Distribution) []string {
	d.Name = ""
	var m yaml.Node
	b, _ := yaml.Marshal(d)
	_ = yaml.Unmarshal(b, &m)
	var out []string
	var walk func(prefix string, n *yaml.Node)
	walk = func(prefix string, n *yaml.Node) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(prefix, c)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(join(prefix, n.Content[i].Value), n.Content[i+1])
			}
		default:
			n.Style = yaml.FlowStyle
			v, _ := yaml.Marshal(n)
			out = append(out, prefix+"="+strings.TrimSpace(string(v)))
		}
	}
	walk("", &m)
	return out
}

// mapValue returns the value of key in mapping node n, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// Resolve fills defaults and validates c, every sweep point included.
// Parse calls it; call it on a Config built in code.
func (c *Config) Resolve() error { return c.resolve(context.Background()) }

func (c *Config) resolve(ctx context.Context) error {
	if c.Seeds == 0 {
		c.Seeds = 1
	}
	if c.Evaluate.Episodes == 0 {
		c.Evaluate.Episodes = 100
	}
	if c.BaseReturn == "" {
		c.BaseReturn = world.Sooner.String()
	}
	for i := range c.Splits {
		if c.Splits[i].Episodes == 0 {
			c.Splits[i].Episodes = c.Evaluate.Episodes
		}
	}
	if !c.Probe.Off && c.Probe.Episodes == 0 {
		c.Probe.Episodes = c.Evaluate.Episodes
	}
	c.Probe.resolve()
	if !c.Monitor.Off {
		if c.Monitor.Levels == 0 {
			c.Monitor.Levels = 32
		}
		if c.Monitor.Checkpoints == 0 {
			c.Monitor.Checkpoints = defaultCheckpoints
		}
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return c.resolvePoints(ctx)
}

// resolvePoints validates every sweep point, one at a time, and keeps
// what a plan needs of each: its units (each distinct list once, and the
// list of each point) and the memory estimate of its largest unit.
func (c *Config) resolvePoints(ctx context.Context) error {
	if len(c.Sweep) == 0 {
		c.pointUnits, c.unitsOf = [][]Unit{c.units()}, []int32{0}
		c.unitBytes = c.largestUnit().bytes
		return nil
	}
	c.pointDoc, c.sweepNodes = nil, nil
	base, err := c.sweepBase()
	if err != nil {
		return err
	}
	// Plain values (numbers, names) are cheaper to read again than to
	// keep as nodes; others are read once.
	nodes := make([][]*yaml.Node, len(c.Sweep))
	for i, p := range c.Sweep {
		nodes[i] = make([]*yaml.Node, len(p.Values))
		for j, v := range p.Values {
			if plainText(v) {
				continue
			}
			if nodes[i][j], err = valueNode(v); err != nil {
				return fmt.Errorf("config: sweep: %s: %w", p.Path, err)
			}
		}
	}
	// The sweep's own nodes are not needed again: the points are made
	// from base, which does not hold them.
	c.doc, c.pointDoc, c.sweepNodes = base, base, nodes
	n := c.Sweep.Points()
	c.pointUnits, c.unitsOf, c.unitBytes = nil, make([]int32, n), 0
	seen := map[string]int32{}
	var key strings.Builder
	for k := range n {
		if err := ctx.Err(); err != nil {
			return err
		}
		pc, err := c.Point(k)
		if err != nil {
			return err
		}
		units := pc.pointUnits[0]
		key.Reset()
		for _, u := range units {
			fmt.Fprintf(&key, "%s/%s/%d\n", u.Optimizer, u.Family, u.Seed)
		}
		i, ok := seen[key.String()]
		if !ok {
			i = int32(len(c.pointUnits))
			seen[key.String()] = i
			c.pointUnits = append(c.pointUnits, units)
		}
		c.unitsOf[k] = i
		c.unitBytes = max(c.unitBytes, pc.unitBytes)
	}
	return nil
}

// Validate reports the first problem with c, naming the field.
func (c *Config) Validate() error {
	if !validName(c.Name) {
		return fmt.Errorf("name: %q must be a plain name: lower-case letters, digits, '-' or '_' (it names the run's directory)", c.Name)
	}
	if c.Seeds < 1 || c.Seeds > 10000 {
		return fmt.Errorf("seeds: %d out of range [1, 10000]", c.Seeds)
	}
	if err := c.Train.Validate(); err != nil {
		return fmt.Errorf("train.%w", err)
	}
	if err := c.validateCurriculum(); err != nil {
		return err
	}
	if len(c.Splits) == 0 {
		return errors.New("splits: at least one evaluation split is needed")
	}
	seen := map[string]bool{}
	for i, s := range c.Splits {
		p := fmt.Sprintf("splits[%d]", i)
		if !validName(s.Name) {
			return fmt.Errorf("%s.name: %q must be non-empty lower-case letters, digits, '-' or '_'", p, s.Name)
		}
		if seen[s.Name] {
			return fmt.Errorf("%s.name: split %q given twice", p, s.Name)
		}
		if s.Name == ProbeSplit {
			return fmt.Errorf("%s.name: %q is the probe split, built from the training distribution (see probe:)", p, s.Name)
		}
		seen[s.Name] = true
		if err := s.Distribution.Validate(); err != nil {
			return fmt.Errorf("%s.distribution.%w", p, err)
		}
		if s.Distribution.Curriculum != (Curriculum{}) {
			return fmt.Errorf("%s.distribution.curriculum: only the training distribution has a curriculum", p)
		}
		if s.Episodes < 1 || s.Episodes > 1_000_000 {
			return fmt.Errorf("%s.episodes: %d out of range [1, 1000000]", p, s.Episodes)
		}
	}
	if len(c.Families) == 0 && len(c.Reference) == 0 {
		return errors.New("families: nothing to train or evaluate (give families or reference agents)")
	}
	if len(c.Families) > 0 && len(c.Optimizers) == 0 {
		return errors.New("optimizers: families are given but no optimizer to train them")
	}
	seen = map[string]bool{}
	for i, f := range c.Families {
		p := fmt.Sprintf("families[%d]", i)
		if _, err := f.Build(); err != nil {
			return fmt.Errorf("%s.%w", p, err)
		}
		if seen[f.Name] {
			return fmt.Errorf("%s.name: family %q given twice", p, f.Name)
		}
		seen[f.Name] = true
	}
	seen = map[string]bool{}
	for i := range c.Optimizers {
		o := &c.Optimizers[i]
		p := fmt.Sprintf("optimizers[%d]", i)
		s, err := o.settings(c.registry())
		if err == nil {
			_, err = s.Method(0) // a rate for Adam, which validates it
		}
		if err != nil {
			return fmt.Errorf("%s.%w", p, err)
		}
		if seen[o.Name] {
			return fmt.Errorf("%s.name: optimizer %q given twice", p, o.Name)
		}
		seen[o.Name] = true
	}
	specs := map[string]int{}
	for i, r := range c.Reference {
		p, err := agents.ScriptedByName(r)
		if err != nil {
			return fmt.Errorf("reference[%d]: %w", i, err)
		}
		spec := p.(*agents.Scripted).Spec()
		if j, dup := specs[spec]; dup {
			return fmt.Errorf("reference[%d]: %q is reference[%d] again", i, r, j)
		}
		specs[spec] = i
	}
	b := c.Budget
	if b.EnvSteps < 0 || b.Episodes < 0 || b.Iterations < 0 {
		return errors.New("budget: negative budget")
	}
	if len(c.Families) > 0 && b.EnvSteps == 0 && b.Episodes == 0 && b.Iterations == 0 {
		return errors.New("budget: give env_steps (the budget every optimizer shares)")
	}
	if !(b.TargetReturn >= 0 && b.TargetReturn <= 1) {
		return fmt.Errorf("budget.target_return: %v out of range [0, 1]", b.TargetReturn)
	}
	if c.Evaluate.Episodes < 1 {
		return errors.New("evaluate.episodes: must be positive")
	}
	if _, err := world.ParseBaseReturn(c.BaseReturn); err != nil {
		return fmt.Errorf("base_return: %w", err)
	}
	if m := c.Monitor; m.Off && (m.Levels != 0 || m.Checkpoints != 0) {
		return errors.New("monitor: levels or checkpoints given with monitor.off")
	} else if !m.Off {
		if m.Levels < 1 || m.Levels > 10_000 {
			return fmt.Errorf("monitor.levels: %d out of range [1, 10000]", m.Levels)
		}
		if m.Checkpoints < 1 || m.Checkpoints > 10_000 {
			return fmt.Errorf("monitor.checkpoints: %d out of range [1, 10000]", m.Checkpoints)
		}
	}
	if c.Probe.Off && c.Probe.Episodes != 0 {
		return errors.New("probe.episodes: given with probe.off")
	}
	if err := c.Probe.validate(); err != nil {
		return fmt.Errorf("probe.%w", err)
	}
	if !c.Probe.Off {
		if c.Probe.Episodes < 1 || c.Probe.Episodes > 1_000_000 {
			return fmt.Errorf("probe.episodes: %d out of range [1, 1000000]", c.Probe.Episodes)
		}
		if _, err := c.candidates(); err != nil {
			return fmt.Errorf("probe: the training distribution offers no probe: %w (set probe: {off: true})", err)
		}
	}
	if len(c.Sweep) > 0 {
		if c.Sweep.Points() > maxSweepPoints {
			return errors.New(c.Sweep.tooLarge())
		}
		return nil // each point is validated on its own, memory included
	}
	return c.checkMemory()
}

// CornerSize is the size of the corner regions of the first planner
// family, whose region features define what reaching a corner is; 0 (the
// default) without one.
func (c *Config) CornerSize() int {
	for _, f := range c.Families {
		if p, err := f.Build(); err == nil {
			if p, ok := p.(agents.Planner); ok {
				return p.Planes.CornerSize
			}
		}
	}
	return 0
}

// candidates returns the candidate objectives of agents trained on c's
// training distribution, with the corner regions of the first planner
// family (whose region features define what reaching a corner is).
func (c *Config) candidates() (*analysis.Candidates, error) {
	cs, err := analysis.NewCandidates(c.Train.Distribution, c.CornerSize())
	if err != nil {
		return nil, err
	}
	if err := c.Probe.setExitColour(cs); err != nil {
		return nil, err
	}
	if _, err := analysis.NewProber(cs); err != nil {
		return nil, err
	}
	return cs, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// registry returns the registry c was parsed with, Builtin() if none.
func (c *Config) registry() *Registry {
	if c.reg == nil {
		return Builtin()
	}
	return c.reg
}

// decodeSettings decodes each families and optimizers entry's settings
// with the type registered under its name.
func (c *Config) decodeSettings() error {
	reg := c.registry()
	for i := range c.Families {
		f := &c.Families[i]
		p := fmt.Sprintf("families[%d]", i)
		t, err := reg.FamilyType(f.Name)
		if err != nil {
			return fmt.Errorf("%s.name: %w", p, err)
		}
		s := t.NewSettings()
		if err := decodeSettings(f.node, p, s); err != nil {
			return err
		}
		f.Settings, f.typ, f.node = s, t, nil
	}
	for i := range c.Optimizers {
		o := &c.Optimizers[i]
		p := fmt.Sprintf("optimizers[%d]", i)
		t, err := reg.OptimizerType(o.Name)
		if err != nil {
			return fmt.Errorf("%s.name: %w", p, err)
		}
		s := t.NewSettings()
		if err := decodeSettings(o.node, p, s); err != nil {
			return err
		}
		o.Settings, o.node = s, nil
	}
	return nil
}
