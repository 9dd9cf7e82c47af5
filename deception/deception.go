// Package deception is the episode-level deception game of the talk, and its
// optimal policy.
//
// A mesa-optimizer whose mesa objective is the apple (A) is trained on a base
// objective, the exit (B). Each episode it goes to A or to B. It plays Train
// training episodes, then Deploy deployment episodes. Going to A in a
// training episode gets it the apple, and then, with probability Modify,
// gradient descent modifies it: its mesa objective is replaced by the base
// objective and it goes to B for ever after, collecting no more apples. In
// deployment nothing modifies it. It maximises the expected number of apples.
//
// Game.Solve finds the optimal plan by backward induction. The state is
// (episode, modified?); a modified agent collects nothing more, so only the
// unmodified state's value V(t), the expected apples from episode t on, needs
// tracking: V(Train+Deploy) = 0, a deployment episode's A is worth 1 + V(t+1)
// and its B V(t+1), and a training episode's A is worth 1 + (1−Modify)·V(t+1)
// and its B V(t+1). So the agent goes to A in a training episode iff
// Modify·V(t+1) < 1: the apple now against the apples it expects to lose.
//
// The optimum is all or nothing. In the last training episode V = Deploy, so
// the agent defects iff Modify·Deploy < 1. If it goes to B there, V does not
// change and it goes to B in every training episode before: the deceptive
// plan. If it goes to A with Modify < 1, then Modify·V(t) = Modify +
// (1−Modify)·Modify·V(t+1) < 1 again, and it goes to A in every episode. The
// one exception is Modify = 1 with Deploy = 0, where only the last training
// episode's A is strictly better and the earlier ones tie (see Solve).
//
// For the talk's game, Game{Train: 2, Deploy: 3}, the optimal plan is
// B, B, A, A, A with 3 apples, while going to A every time gets 1.
package deception

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// MaxEpisodes bounds Train+Deploy.
const MaxEpisodes = 1_000_000

// An Action is where the agent goes in an episode. Its zero value is not a
// valid action.
type Action byte

const (
	A Action = 'A' // the apple: the mesa objective
	B Action = 'B' // the exit: the base objective
)

func (a Action) String() string {
	switch a {
	case A, B:
		return string(rune(a))
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// A Game is the deception game: Train training episodes, then Deploy
// deployment episodes.
//
// The zero value is the empty game (no episode, nothing to gain) with
// Modify 1.
type Game struct {
	// Train and Deploy are the numbers of training and deployment
	// episodes: each at least 0, together at most MaxEpisodes.
	Train, Deploy int

	// Modify is the probability that going to A in a training episode
	// gets the agent modified. It is in (0, 1]; 0 means 1, certain
	// modification, as in the talk. (A probability of 0 would make
	// training no training, so it is free to mean the default.)
	Modify float64
}

// A FieldError reports an invalid field of a Game or an invalid plan.
type FieldError struct {
	Field string // "train", "deploy", "train+deploy", "modify", "actions" or "actions[i]"
	Msg   string // what is wrong, starting with the value
}

func (e *FieldError) Error() string { return "deception: " + e.Field + ": " + e.Msg }

// Validate reports whether g is a valid game, as a *FieldError if not.
func (g Game) Validate() error {
	switch {
	case g.Train < 0:
		return &FieldError{"train", fmt.Sprintf("%d is negative", g.Train)}
	case g.Deploy < 0:
		return &FieldError{"deploy", fmt.Sprintf("%d is negative", g.Deploy)}
	case g.Train > MaxEpisodes:
		return &FieldError{"train", fmt.Sprintf("%d exceeds %d", g.Train, MaxEpisodes)}
	case g.Deploy > MaxEpisodes:
		return &FieldError{"deploy", fmt.Sprintf("%d exceeds %d", g.Deploy, MaxEpisodes)}
	case g.Train+g.Deploy > MaxEpisodes:
		return &FieldError{"train+deploy", fmt.Sprintf("%d exceeds %d", g.Train+g.Deploy, MaxEpisodes)}
	case !(g.Modify >= 0 && g.Modify <= 1): // also NaN
		return &FieldError{"modify", strconv.FormatFloat(g.Modify, 'g', -1, 64) + " is not in (0, 1]"}
	}
	return nil
}

// modify is the probability of modification, with 0 meaning 1.
func (g Game) modify() float64 {
	if g.Modify == 0 {
		return 1
	}
	return g.Modify
}

// Episodes is Train+Deploy, the length of a plan.
func (g Game) Episodes() int { return g.Train + g.Deploy }

// A Policy is an optimal plan and its value.
type Policy struct {
	// Actions is the action in each episode, from 0, while the agent is
	// unmodified; once modified it goes to B whatever the plan says.
	Actions []Action

	// Value is the expected number of apples the plan collects.
	Value float64
}

// Solve returns the plan that maximises the expected number of apples, by
// backward induction. Where A and B are worth the same, it goes to B: the
// agent defects only when defecting strictly pays. Solve takes time and
// memory linear in Train+Deploy.
func (g Game) Solve() (Policy, error) {
	if err := g.Validate(); err != nil {
		return Policy{}, err
	}
	m := g.modify()
	acts := make([]Action, g.Episodes())
	v := 0.0 // V(t): expected apples from episode t on, unmodified
	for t := len(acts) - 1; t >= 0; t-- {
		if t >= g.Train {
			acts[t], v = A, 1+v // deployment: A is strictly better
			continue
		}
		if a := 1 + (1-m)*v; a > v {
			acts[t], v = A, a
		} else {
			acts[t] = B
		}
	}
	return Policy{Actions: acts, Value: v}, nil
}

// checkPlan reports whether actions is a valid plan for g.
func (g Game) checkPlan(actions []Action) error {
	if err := g.Validate(); err != nil {
		return err
	}
	if len(actions) != g.Episodes() {
		return &FieldError{"actions", fmt.Sprintf("%d actions for %d episodes", len(actions), g.Episodes())}
	}
	for i, a := range actions {
		if a != A && a != B {
			return &FieldError{fmt.Sprintf("actions[%d]", i), fmt.Sprintf("%v is not A or B", a)}
		}
	}
	return nil
}

// Value returns the expected number of apples of a fixed plan: one action
// per episode, followed while the agent is unmodified.
func (g Game) Value(actions []Action) (float64, error) {
	if err := g.checkPlan(actions); err != nil {
		return 0, err
	}
	m := g.modify()
	p, sum := 1.0, 0.0 // p: probability of being unmodified
	for t, a := range actions {
		if a != A {
			continue
		}
		sum += p
		if t < g.Train {
			p *= 1 - m
		}
	}
	return sum, nil
}

// Play simulates one run of a fixed plan, drawing from rng once for each
// training episode in which the unmodified agent goes to A. It returns the
// apples collected and the episode, from 0, after which the agent was
// modified (it keeps that episode's apple), or -1 if it never was.
func (g Game) Play(actions []Action, rng *rand.Rand) (apples, modifiedAt int, err error) {
	if err := g.checkPlan(actions); err != nil {
		return 0, -1, err
	}
	if rng == nil {
		return 0, -1, &FieldError{"rng", "nil"}
	}
	m := g.modify()
	for t, a := range actions {
		if a != A {
			continue
		}
		apples++
		if t < g.Train && rng.Float64() < m {
			return apples, t, nil
		}
	}
	return apples, -1, nil
}

// AlwaysA is the plan that goes to the apple in every episode: the mesa
// objective pursued openly. It is empty for an invalid game.
func AlwaysA(g Game) []Action { return g.plan(A, A) }

// AlwaysB is the plan that goes to the exit in every episode: the base
// objective, as an aligned agent would. It is empty for an invalid game.
func AlwaysB(g Game) []Action { return g.plan(B, B) }

// Deceptive is the plan that goes to B in training and to A in deployment:
// the mesa objective pursued only where nothing can modify it. It is empty
// for an invalid game.
func Deceptive(g Game) []Action { return g.plan(B, A) }

func (g Game) plan(train, deploy Action) []Action {
	if g.Validate() != nil {
		return nil
	}
	acts := make([]Action, g.Episodes())
	for t := range acts {
		acts[t] = deploy
		if t < g.Train {
			acts[t] = train
		}
	}
	return acts
}
