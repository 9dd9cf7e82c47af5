// Package evolve holds the evolutionary base optimizers, both train.Methods
// built on github.com/MaxHalford/eaopt v0.4.2:
//
//   - GA, a genetic algorithm over the flat parameter vector θ of a policy
//     family: Gaussian mutation, uniform or arithmetic crossover, eaopt's
//     generational, steady-state, down-to-size and mutation-only models,
//     tournament or elitist selection, several populations with eaopt's
//     ring migration;
//   - ES, eaopt's OES (the evolution strategy of Salimans et al. 2017): a
//     population of perturbations estimates the gradient of the expected
//     return; the third point between selection and true gradients (sgd).
//
// The genetic operators are plain functions on flat slices
// (UniformCrossover, ArithmeticCrossover, GaussianMutation), usable with
// either math/rand or math/rand/v2.
//
// Fitness is the mean base return over a batch of training levels, fresh
// every generation and shared by all individuals of the generation (common
// random numbers). Every rollout is charged to the train.Meter budget,
// including the re-evaluation of survivors, and every random stream is
// derived from Problem.Seed, so results are identical for any number of
// workers. Every rollout is charged in a canonical order, and training stops
// at the episode at which the budget is spent. On the "train" preset with
// agents.Planner{}, the zero GA's and the zero ES's final agents reach 95%
// of the optimal training return (the oracle's) within 4,000,000
// environment steps (see the conformance tests).
//
// The GA's mutation scale shrinks as 1/√dim for θ of more than
// GA.SigmaDim parameters, so that a mutation moves θ about as far whatever
// the policy family (see GA).
//
// # eaopt caveats
//
// eaopt is kept for its small interfaces (Genome, Model, Selector,
// Migrator) and its models; its traps are wrapped, each with a test that
// shows the trap on plain eaopt and its absence here (traps_test.go):
//
//   - random sources seeded from the clock when none is given
//     (ga_config.go:35, oes.go:72-74): every eaopt random source here is a
//     math/rand generator seeded from a derived seed;
//   - fitness cached per individual (Individual.Evaluated): with fresh
//     levels every generation a survivor's fitness is stale, so every
//     member is re-evaluated every generation, and the genome, not eaopt,
//     records which levels its fitness was measured on;
//   - a crossover child keeping its parent's fitness when not mutated
//     (individual.go:81-84 marks a copy of the mate): handled by the
//     genome's own record;
//   - GAConfig.ParallelEval, ignored by every model that evaluates inside
//     Model.Apply: GA drives generations itself and evaluates batches in
//     parallel with train.Evaluate, and spreads the levels of one
//     individual over the workers when a model evaluates one at a time;
//   - SelTournament reporting wrong indexes, which makes the steady-state
//     model overwrite the best individual: replaced by a correct
//     tournament;
//   - ModRing, which mutates population members through shared genomes:
//     not offered;
//   - OES's update, one scalar for every coordinate, NaN when all points
//     score the same, a centre aliasing the caller's slice, and a panic when
//     no point has a finite fitness: ES replaces the update and guards the
//     rest.
//
// Neither optimizer logs: statistics go to the Settings' Recorder.
package evolve
