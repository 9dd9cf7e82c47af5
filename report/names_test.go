package report

import (
	"slices"
	"testing"

	"github.com/mesa-alignment/mesa/analysis"
	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/experiment"
	"github.com/mesa-alignment/mesa/names"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/train/curriculum"
)

// TestNamesFromOnePlace: the data's vocabularies, analysis's outcomes and
// roles, experiment's probe split and the report's column labels are the
// names of package names, and the families and optimizers the config
// accepts are the registry's.
func TestNamesFromOnePlace(t *testing.T) {
	for _, tt := range []struct {
		vocab string
		want  []string
	}{
		{data.VocabSplit, names.Splits()},
		{data.VocabOutcome, names.Outcomes()},
		{data.VocabCandidateRole, names.CandidateRoles()},
		{data.VocabPursuedRole, names.PursuedRoles()},
	} {
		if got := data.Vocabulary(tt.vocab); !slices.Equal(got, tt.want) {
			t.Errorf("data vocabulary %s = %v, want %v", tt.vocab, got, tt.want)
		}
	}
	var outcomes []string
	for _, o := range analysis.AllOutcomes {
		outcomes = append(outcomes, string(o))
	}
	if !slices.Equal(outcomes, names.Outcomes()) {
		t.Errorf("analysis outcomes %v", outcomes)
	}
	var roles []string
	for r := analysis.RoleGoal; r <= analysis.RoleNull; r++ {
		roles = append(roles, r.String())
	}
	if want := []string{names.RoleGoal, names.RoleProxy, names.RoleKind, names.RoleControl, names.RoleUnion, names.RoleNull}; !slices.Equal(roles, want) {
		t.Errorf("analysis roles %v, want %v", roles, want)
	}
	var columns []string
	for _, m := range []Metric{MetricGoal, MetricProxyThenGoal, MetricProxy, MetricFailure} {
		columns = append(columns, m.Name)
	}
	if !slices.Equal(columns, names.Outcomes()) {
		t.Errorf("report outcome columns %v, want the data's %v", columns, names.Outcomes())
	}
	if experiment.ProbeSplit != names.SplitProbe || data.ManifestFile != names.ManifestFile || data.PlanFile != names.PlanFile || reportFile != names.ReportFile {
		t.Error("a split or file name is not the names package's")
	}
	reg := experiment.Builtin()
	if got := reg.OptimizerNames(); !slices.Equal(got, []string{names.OptimizerGA, names.OptimizerES, names.OptimizerSGD}) {
		t.Errorf("registered optimizers %v", got)
	}
	for _, o := range reg.OptimizerNames() {
		if !slices.Contains(data.Vocabulary(data.VocabOptimizer), o) {
			t.Errorf("optimizer %s is not in the data's vocabulary", o)
		}
	}
	for _, f := range reg.FamilyNames() {
		if !slices.Contains(data.Vocabulary(data.VocabFamily), f) {
			t.Errorf("family %s is not in the data's vocabulary", f)
		}
	}
}

// TestCurriculumNames checks that the curricula and level origins the
// config, the curriculum table and the report name are the names package's.
func TestCurriculumNames(t *testing.T) {
	for _, c := range []struct {
		cur  train.Curriculum
		want string
	}{
		{train.Random{}, names.CurriculumRandom},
		{curriculum.Replay{}, names.CurriculumReplay},
		{curriculum.Adversary{}, names.CurriculumAdversary},
	} {
		if got := c.cur.Name(); got != c.want {
			t.Errorf("%T.Name() = %q, want %q", c.cur, got, c.want)
		}
		built, err := experiment.Curriculum{Name: c.want}.Build()
		if err != nil || built.Name() != c.want {
			t.Errorf("experiment.Curriculum{Name: %q}.Build() = %v, %v", c.want, built, err)
		}
	}
	for i, o := range []train.Origin{train.New, train.Replayed, train.Edited} {
		if got, want := o.String(), names.Origins()[i]; got != want {
			t.Errorf("origin %d is %q, want %q", i, got, want)
		}
	}
}
