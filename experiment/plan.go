package experiment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/data"
)

// A Unit is the unit of work, of resume, of sharding and of statistical
// replication: one training seed of one family under one base optimizer at
// one sweep point, trained, evaluated on every split and the probes, and
// written on its own; or one scripted reference agent at one sweep point,
// evaluated alike.
type Unit struct {
	// Index is the unit's place in Plan.Units, the canonical order in
	// which the run's tables hold their rows.
	Index int
	// Point is the sweep point (0 without a sweep).
	Point int
	// Optimizer is the base optimizer, "" for a scripted reference.
	Optimizer string
	// Family is the policy family, or the reference's spec.
	Family string
	// Seed is the training seed's index, from 0 (0 for references).
	Seed int
}

// Scripted reports whether the unit is a scripted reference agent.
func (u Unit) Scripted() bool { return u.Optimizer == "" }

// ID names the unit: its point and its agent's id, "p0/ga/planner/s3",
// "p0/none/to-colour:green".
func (u Unit) ID() string { return fmt.Sprintf("p%d/%s", u.Point, u.AgentID()) }

// AgentID is the id of the agent the unit trains, or of its scripted
// reference, in every table and command (data.AgentRow.AgentID):
// "ga/planner/s3", "none/to-colour:green".
func (u Unit) AgentID() string {
	if u.Scripted() {
		return data.OptimizerNone + "/" + u.Family
	}
	return fmt.Sprintf("%s/%s/s%d", u.Optimizer, u.Family, u.Seed)
}

// Dir is the unit's directory under the run's units/ directory: its ID as
// a file name ("p0000-ga-planner-s0003", "p0000-ref-to-colour_green").
func (u Unit) Dir() string {
	if u.Scripted() {
		return fmt.Sprintf("p%04d-ref-%s", u.Point, fileSafe(u.Family))
	}
	return fmt.Sprintf("p%04d-%s-%s-s%04d", u.Point, u.Optimizer, u.Family, u.Seed)
}

// fileSafe maps a reference spec to a file name: letters, digits, '-' and
// '.' stay, anything else becomes '_'. Specs are validated, so distinct
// specs of one config never collide.
func fileSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// A Plan is a config expanded into its units, deterministically: the same
// config gives the same plan, whatever runs it, wherever.
type Plan struct {
	// RunID names the run (Config.RunID of the config as given).
	RunID string
	// Config is the config as given, sweep included; Config.Point(k) is
	// the config of sweep point k, made when asked for.
	Config *Config
	// Points is the number of sweep points (1 without a sweep).
	Points int
	// Units in canonical order: point by point, then optimizers, families
	// and seeds in config order, then the scripted references.
	Units []Unit
}

// maxUnits bounds a plan; a sweep of a million trainings is a typo.
const maxUnits = 1_000_000

// NewPlan expands c into units.
func NewPlan(c *Config) (*Plan, error) {
	id, err := c.RunID()
	if err != nil {
		return nil, err
	}
	// The units of each sweep point were listed when its config was
	// validated: a plan decodes no point again.
	lists, unitsOf := [][]Unit{c.units()}, []int32{0}
	if len(c.Sweep) > 0 {
		if c.unitsOf == nil { // not resolved
			if err := c.resolvePoints(context.Background()); err != nil {
				return nil, err
			}
		}
		lists, unitsOf = c.pointUnits, c.unitsOf
	}
	n := 0
	for _, i := range unitsOf {
		n += len(lists[i])
		if n > maxUnits {
			return nil, fmt.Errorf("config: the plan has more than %d units", maxUnits)
		}
	}
	p := &Plan{RunID: id, Config: c, Points: len(unitsOf), Units: make([]Unit, 0, n)}
	for k, i := range unitsOf {
		for _, u := range lists[i] {
			u.Index, u.Point = len(p.Units), k
			p.Units = append(p.Units, u)
		}
	}
	return p, nil
}

// units returns the units of c, a config without a sweep, at point 0.
func (c *Config) units() []Unit {
	var units []Unit
	for _, o := range c.Optimizers {
		for _, f := range c.Families {
			for s := range c.Seeds {
				units = append(units, Unit{Optimizer: o.Name, Family: f.Name, Seed: s})
			}
		}
	}
	for _, r := range c.Reference {
		spec, _ := agents.ScriptedByName(r)
		units = append(units, Unit{Family: spec.(*agents.Scripted).Spec()})
	}
	return units
}

// PointValues returns the swept values of point k, "path=value" in sweep
// order; nil without a sweep.
func (p *Plan) PointValues(k int) []string {
	vs := p.Config.Sweep.values(k)
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = p.Config.Sweep[i].Path + "=" + v
	}
	return out
}

// Shard returns the units of shard i of n: every n-th unit from the i-th,
// so that shards get a share of every sweep point.
func (p *Plan) Shard(i, n int) []Unit {
	var out []Unit
	for _, u := range p.Units {
		if n <= 1 || u.Index%n == i {
			out = append(out, u)
		}
	}
	return out
}

// PlanFile is the name of a run directory's plan: written before any
// unit, so that a later command on the directory continues the run only if
// its plan is the same.
const PlanFile = data.PlanFile

func (p *Plan) file() (*data.RunPlan, error) {
	cfg, err := p.Config.ResolvedYAML()
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(p.Units))
	for i, u := range p.Units {
		ids[i] = u.ID()
	}
	return data.NewRunPlan(p.RunID, cfg, ids), nil
}

// claim makes p the plan of the directory l holds, or checks that the
// plan it already holds is p's. A directory holding another run is
// refused, saying which. The claim is atomic (see data.DirLock.ClaimPlan):
// of two plans claiming a new directory at once, one wins and the other
// is refused before it writes a unit.
func (p *Plan) claim(l *data.DirLock) error {
	want, err := p.file()
	if err != nil {
		return err
	}
	dir := l.Dir()
	if _, err := data.ReadPlan(dir); errors.Is(err, fs.ErrNotExist) {
		if _, err := data.ReadManifest(dir); err == nil {
			return fmt.Errorf("%s holds a run without a plan (written by an older mesa); use --overwrite to replace it, or another --out", dir)
		}
	}
	got, err := l.ClaimPlan(want)
	if err != nil {
		return err
	}
	return p.compare(dir, got, want)
}

// Check returns nil if dir holds no plan or p's, and a
// *ConfigMismatchError naming the fields that differ if it holds another:
// what claiming dir for p would refuse, without claiming it.
func (p *Plan) Check(dir string) error {
	got, err := data.ReadPlan(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	want, err := p.file()
	if err != nil {
		return err
	}
	return p.compare(dir, got, want)
}

// compare compares the plan a directory holds with p's.
func (p *Plan) compare(dir string, got, want *data.RunPlan) error {
	if got.SHA256 == want.SHA256 && got.Config == want.Config {
		return nil
	}
	e := &ConfigMismatchError{Dir: dir, RunID: got.RunID, Collision: got.RunID == p.RunID}
	if got.Config == want.Config {
		e.UnitsDiffer = true
		return e
	}
	e.Fields = diffConfigs([]byte(got.Config), []byte(want.Config))
	return e
}

// A ConfigMismatchError is a run directory holding a run of another
// config than the command's.
type ConfigMismatchError struct {
	Dir   string
	RunID string // the run the directory holds
	// Collision is set when the two configs have the same run id.
	Collision bool
	// UnitsDiffer is set when the configs are the same but the unit ids
	// are not: the run was planned by another version of mesa.
	UnitsDiffer bool
	// Fields are the config paths whose values differ, in the order of
	// the run's config, then those only this config has.
	Fields []FieldDiff
}

// A FieldDiff is one config path whose value differs: in the run a
// directory holds (Run) and in the command's config (Here); "" where a
// config lacks the path.
type FieldDiff struct {
	Path, Run, Here string
}

// maxFieldsShown bounds the fields a ConfigMismatchError's message lists.
const maxFieldsShown = 6

func (e *ConfigMismatchError) Error() string {
	var b strings.Builder
	switch {
	case e.UnitsDiffer:
		fmt.Fprintf(&b, "%s holds run %s of the same config, planned into other units (by another version of mesa)", e.Dir, e.RunID)
	case e.Collision:
		fmt.Fprintf(&b, "%s holds another config of run id %s (two configs whose ids collide)", e.Dir, e.RunID)
	default:
		fmt.Fprintf(&b, "%s holds run %s, whose config differs from this one", e.Dir, e.RunID)
	}
	if len(e.Fields) > 0 {
		var parts, sets []string
		for i, f := range e.Fields {
			if i == maxFieldsShown {
				parts = append(parts, fmt.Sprintf("and %d more", len(e.Fields)-i))
				break
			}
			parts = append(parts, fmt.Sprintf("%s: %s there, %s here", f.Path, orUnset(f.Run), orUnset(f.Here)))
		}
		for _, f := range e.Fields {
			if f.Run == "" {
				sets = nil // a path the run lacks cannot be unset with --set
				break
			}
			sets = append(sets, "--set "+shellQuote(f.Path+"="+f.Run))
		}
		fmt.Fprintf(&b, " in %s", strings.Join(parts, "; "))
		if len(sets) > 0 && len(sets) <= maxFieldsShown {
			fmt.Fprintf(&b, "; %s reproduces the run's", strings.Join(sets, " "))
		}
	}
	b.WriteString("; use --overwrite to replace it, or another --out")
	return b.String()
}

func orUnset(v string) string {
	if v == "" {
		return "unset"
	}
	return v
}

// shellQuote quotes s for a POSIX shell when it holds more than letters,
// digits and ._-=/:,+ (brackets are globs).
func shellQuote(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-=/:,+", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// diffConfigs returns the paths whose values differ between two resolved
// configs: every scalar by its path ("train.randomize",
// "optimizers[0].rate"), and a list of scalars, or a list whose length
// differs, as one flow value ("reference: [oracle, random]").
func diffConfigs(run, here []byte) []FieldDiff {
	a, b := flatConfig(run), flatConfig(here)
	var out []FieldDiff
	skip := func(p string) bool { // inside a list reported whole
		for _, d := range out {
			if strings.HasPrefix(p, d.Path+"[") {
				return true
			}
		}
		return false
	}
	for _, p := range a.order {
		if skip(p) {
			continue
		}
		if l, ok := a.lists[p]; ok {
			if a.lens[p] != b.lens[p] {
				out = append(out, FieldDiff{Path: p, Run: l, Here: b.lists[p]})
			}
			continue
		}
		if a.values[p] != b.values[p] {
			out = append(out, FieldDiff{Path: p, Run: a.values[p], Here: b.values[p]})
		}
	}
	out = slices.DeleteFunc(out, func(d FieldDiff) bool {
		// A distribution's name is a label made of its other fields
		// ("train+randomize=0.1"): setting those sets it.
		parent, ok := strings.CutSuffix(d.Path, ".name")
		return ok && slices.ContainsFunc(out, func(o FieldDiff) bool { return strings.HasPrefix(o.Path, parent+".") && o.Path != d.Path })
	})
	for _, p := range b.order {
		_, list := a.lists[p]
		if _, ok := a.values[p]; !ok && !list && !skip(p) {
			v := b.values[p]
			if l, ok := b.lists[p]; ok {
				v = l
			}
			out = append(out, FieldDiff{Path: p, Here: v})
		}
	}
	return out
}

// A flatYAMLDoc is a YAML document flattened: each scalar and list of
// scalars by its path, and each list of mappings whose length is not
// another's by its path, with the paths in document order.
type flatYAMLDoc struct {
	values map[string]string // path → flow value
	// lists are the lists of mappings, path → flow value; their elements
	// are in values under path[i].
	lists map[string]string
	lens  map[string]int // their lengths
	order []string
}

// flatConfig flattens a YAML document; empty for text that is no YAML.
func flatConfig(text []byte) flatYAMLDoc {
	f := flatYAMLDoc{values: map[string]string{}, lists: map[string]string{}, lens: map[string]int{}}
	var doc yaml.Node
	if yaml.Unmarshal(text, &doc) != nil {
		return f
	}
	flow := func(n *yaml.Node) string {
		v, _ := yaml.Marshal(flowCopy(n))
		return strings.TrimSpace(string(v))
	}
	var walk func(path string, n *yaml.Node)
	walk = func(path string, n *yaml.Node) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(path, c)
			}
			return
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(join(path, n.Content[i].Value), n.Content[i+1])
			}
			return
		case yaml.SequenceNode:
			nested := false
			for _, c := range n.Content {
				nested = nested || c.Kind != yaml.ScalarNode
			}
			if nested {
				f.lists[path], f.lens[path] = flow(n), len(n.Content)
				f.order = append(f.order, path)
				for i, c := range n.Content {
					walk(fmt.Sprintf("%s[%d]", path, i), c)
				}
				return
			}
		}
		f.values[path] = flow(n)
		f.order = append(f.order, path)
	}
	walk("", &doc)
	return f
}

// flowCopy returns a copy of n written in flow style throughout.
func flowCopy(n *yaml.Node) *yaml.Node {
	c := *n
	c.Style = yaml.FlowStyle
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	if n.Content != nil {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, k := range n.Content {
			c.Content[i] = flowCopy(k)
		}
	}
	return &c
}

// resolvedPointYAML returns the resolved YAML of a point's config.
func resolvedPointYAML(c *Config) []byte {
	b, err := yaml.Marshal(c)
	if err != nil {
		return []byte(strings.TrimSpace(err.Error()))
	}
	return b
}
