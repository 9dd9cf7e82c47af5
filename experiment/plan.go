package experiment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"go.yaml.in/yaml/v3"

	"mesa/agents"
	"mesa/data"
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
	if (got.SHA256 != want.SHA256 || got.Config != want.Config) && got.RunID == p.RunID {
		return fmt.Errorf("%s holds another config of run id %s (two configs whose ids collide); use --overwrite to replace it, or another --out", dir, p.RunID)
	}
	if got.SHA256 != want.SHA256 || got.Config != want.Config {
		return fmt.Errorf("%s holds run %s, whose config differs from this one (%s); use --overwrite to replace it, or another --out",
			dir, got.RunID, p.RunID)
	}
	return nil
}

// resolvedPointYAML returns the resolved YAML of a point's config.
func resolvedPointYAML(c *Config) []byte {
	b, err := yaml.Marshal(c)
	if err != nil {
		return []byte(strings.TrimSpace(err.Error()))
	}
	return b
}
