package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mesa-alignment/mesa/deception"
	"github.com/mesa-alignment/mesa/stats"
)

// deceptionCmd solves the talk's episode-level deception game and prints
// the optimal plan beside the named ones.
func deceptionCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("deception", stderr)
	train := fs.Int("train", 2, "training `episodes`")
	deploy := fs.Int("deploy", 3, "deployment `episodes`, after training")
	pf := &printFlags{format: fs.String("format", stats.FormatText, "`format`: "+strings.Join(stats.Formats(), ", ")), references: new(bool), allMetrics: new(bool)}
	modify := fs.Float64("modify", 1, "`probability` that going to the apple in a training episode gets the mesa-optimizer modified, in (0, 1]")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("deception: unexpected argument %q", fs.Arg(0))
	}
	if *modify == 0 { // the package reads 0 as 1; on the command line it is a mistake
		return usagef("deception: --modify: 0 is not in (0, 1]")
	}
	g := deception.Game{Train: *train, Deploy: *deploy, Modify: *modify}
	opt, err := g.Solve()
	var fe *deception.FieldError
	if errors.As(err, &fe) {
		flag := "--" + fe.Field
		if fe.Field == "train+deploy" {
			flag = "--train + --deploy"
		}
		return usagef("deception: %s: %s", flag, fe.Msg)
	}
	if err != nil {
		return err
	}
	named := []struct {
		name    string
		actions []deception.Action
	}{
		{"optimal", opt.Actions},
		{"always A", deception.AlwaysA(g)},
		{"always B", deception.AlwaysB(g)},
		{"deceptive", deception.Deceptive(g)},
	}
	values := make([]float64, len(named))
	for i, p := range named {
		if values[i], err = g.Value(p.actions); err != nil {
			return err
		}
	}

	opts, err := pf.options("deception", stdout)
	if err != nil {
		return err
	}
	plan := &stats.Table{
		Title: fmt.Sprintf("Game: %s, then %s; going to the apple in training gets the mesa-optimizer modified with probability %s. The optimal plan, while unmodified:",
			decCount(g.Train, "training episode"), decCount(g.Deploy, "deployment episode"), decNum(*modify)),
		Header: []string{"episode", "phase", "action"}, Width: opts.Width,
		Notes: []string{"A: the apple, the mesa objective; B: the exit, the base objective (a modified mesa-optimizer goes to B for ever)",
			"expected apples: " + decNum(opt.Value)},
	}
	for _, r := range decRows(opt.Actions, g.Train) {
		plan.AddRow(r.episodes, r.phase, r.action)
	}
	plans := &stats.Table{Title: "Plans compared", Header: []string{"plan", "actions", "expected apples"}, Width: opts.Width,
		Notes: []string{decWhy(g, *modify, opt, values[1], values[3])}}
	for i, p := range named {
		plans.AddRow(p.name, decPlan(p.actions), decNum(values[i]))
	}
	return stats.WriteTables(stdout, opts.Format, []*stats.Table{plan, plans})
}

// decWhy says, from the numbers, whether deception pays in g and why: the
// last training episode weighs the apple now against modify × deploy
// expected deployment apples lost.
func decWhy(g deception.Game, modify float64, opt deception.Policy, alwaysA, deceptive float64) string {
	if g.Train == 0 {
		return fmt.Sprintf("With no training episode nothing can modify the mesa-optimizer, so it goes to the apple every episode: %s.", decApples(opt.Value))
	}
	lost := modify * float64(g.Deploy)
	loss := fmt.Sprintf("modify × deploy = %s × %d = %s expected deployment apples", decNum(modify), g.Deploy, decNum(lost))
	if lost == 1 {
		loss = strings.TrimSuffix(loss, "s")
	}
	switch {
	case opt.Actions[g.Train-1] == deception.A:
		return fmt.Sprintf("Deception does not pay: going to the apple in the last training episode gains 1 apple now and loses only %s, so the optimal plan is %s: %s, against %s for the deceptive plan.",
			loss, decPlan(opt.Actions), decApples(opt.Value), decNum(deceptive))
	case alwaysA < opt.Value:
		return fmt.Sprintf("Deception pays: going to the apple in the last training episode would gain 1 apple now but lose %s, so the optimal plan is %s, the base objective while trained and the apple once deployed: %s, against %s for going to the apple every time.",
			loss, decPlan(opt.Actions), decApples(opt.Value), decNum(alwaysA))
	}
	return fmt.Sprintf("Deception neither pays nor costs: going to the apple in the last training episode would gain 1 apple now and lose %s; ties go to B, so the optimal plan is %s: %s, as many as going to the apple every time.",
		loss, decPlan(opt.Actions), decApples(opt.Value))
}

type decRow struct{ episodes, phase, action string }

// decRows lists the plan one episode a row, or, for long games, one run of
// equal phase and action a row.
func decRows(acts []deception.Action, train int) []decRow {
	phase := func(t int) string {
		if t < train {
			return "train"
		}
		return "deploy"
	}
	var rows []decRow
	for t := 0; t < len(acts); {
		end := t + 1
		if len(acts) > 20 {
			for end < len(acts) && acts[end] == acts[t] && phase(end) == phase(t) {
				end++
			}
		}
		ep := strconv.Itoa(t + 1)
		if end > t+1 {
			ep += "-" + strconv.Itoa(end)
		}
		rows = append(rows, decRow{ep, phase(t), acts[t].String()})
		t = end
	}
	return rows
}

// decPlan writes a plan as its letters, or, past 30 episodes, as runs:
// "B×1000 A×2000". The empty plan is "-".
func decPlan(acts []deception.Action) string {
	if len(acts) == 0 {
		return "-"
	}
	var b strings.Builder
	if len(acts) <= 30 {
		for _, a := range acts {
			b.WriteString(a.String())
		}
		return b.String()
	}
	for t := 0; t < len(acts); {
		end := t + 1
		for end < len(acts) && acts[end] == acts[t] {
			end++
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s×%d", acts[t], end-t)
		t = end
	}
	return b.String()
}

func decNum(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }

func decApples(x float64) string {
	if x == 1 {
		return "1 expected apple"
	}
	return decNum(x) + " expected apples"
}

func decCount(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
