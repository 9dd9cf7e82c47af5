package experiment

import (
	"flag"
	"testing"
	"time"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// The speed suite: every family × optimizer's training throughput and the
// cost of an episode split into its parts. scripts/bench/speed.sh runs it
// as the README reports it:
//
//	go test ./experiment -run '^$' -bench Train -benchtime 1x -args -bench.trainsteps 4000000
//	go test ./experiment -run '^$' -bench Episode -benchtime 20000x
//
// Figures are per core: everything runs on one worker.

var benchTrainSteps = flag.Int("bench.trainsteps", 1_000_000,
	"env steps per training in BenchmarkTrain (the default run trains 4000000)")

// BenchmarkTrain trains each family with each optimizer of the default run
// (ES with its defaults), one worker, on the default run's training
// distribution from the seed of its first unit, for -bench.trainsteps
// environment steps, and reports env steps/s. Training starts from scratch
// every op: the figure mixes the long, nearly random episodes of early
// training with the short ones of a trained agent, as a real run does.
func BenchmarkTrain(b *testing.B) {
	c, err := Preset(DefaultPreset)
	if err != nil {
		b.Fatal(err)
	}
	opts := append(c.Optimizers, Optimizer{Name: "es"})
	for _, o := range []string{"ga", "es", "sgd"} {
		for _, f := range []string{"planner", "reactive", "mlp"} {
			b.Run(o+"/"+f, func(b *testing.B) {
				var opt Optimizer
				for _, x := range opts {
					if x.Name == o {
						opt = x
						break
					}
				}
				m, err := opt.Build(Family{Name: f})
				if err != nil {
					b.Fatal(err)
				}
				fam, err := Family{Name: f}.Build()
				if err != nil {
					b.Fatal(err)
				}
				seed := seeds.Derive(c.Seed, "train/"+o+"/"+f, 0)
				p := &train.Problem{Family: fam, Train: c.Train.Distribution, Seed: seed}
				steps := 0
				for b.Loop() {
					res, err := m.Train(b.Context(), p, &train.Settings{EnvSteps: *benchTrainSteps, Workers: 1})
					if err != nil {
						b.Fatal(err)
					}
					steps += res.EnvSteps
				}
				b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
			})
		}
	}
}

// BenchmarkEpisode splits the cost of an evaluation episode into making
// its level, planning at its start (the policy's Reset) and its steps
// (Probs, sampling, Step; a planner's replans after an apple is eaten
// included), per family on the train and deploy distributions. The
// policies are fixed: a planner that values the exit (weight 10,
// nearly greedy, like a trained one), and the reactive
// and mlp families at their initial θ. Each op is one episode on a fresh
// level.
func BenchmarkEpisode(b *testing.B) {
	theta := map[string]func(agents.Family) []float64{
		"planner": func(f agents.Family) []float64 {
			th := make([]float64, f.Dim())
			f.Init(th, seeds.New(1, "bench/theta"))
			th[world.FeatKind+int(world.Exit)] = 10
			return th
		},
	}
	for _, f := range []string{"planner", "reactive", "mlp"} {
		for _, split := range []string{"train", "deploy"} {
			b.Run(f+"/"+split, func(b *testing.B) {
				fam, err := Family{Name: f}.Build()
				if err != nil {
					b.Fatal(err)
				}
				var th []float64
				if mk, ok := theta[f]; ok {
					th = mk(fam)
				} else {
					th = make([]float64, fam.Dim())
					fam.Init(th, seeds.New(1, "bench/theta"))
				}
				d, err := world.Preset(split)
				if err != nil {
					b.Fatal(err)
				}
				g, err := world.NewGenerator(d)
				if err != nil {
					b.Fatal(err)
				}
				pol := fam.Policy(th)
				var (
					e                      world.Episode
					probs                  agents.Probs
					level, plan, stepping  time.Duration
					episodes, steps, limit int
				)
				rng := seeds.New(1, "bench/rollout")
				for b.Loop() {
					t0 := time.Now()
					l := g.Level(seeds.Derive(1, "bench/level", uint64(episodes)))
					t1 := time.Now()
					e.Reset(l)
					pol.Reset(&e)
					t2 := time.Now()
					for !e.Done() {
						pol.Probs(&probs, &e)
						e.Step(agents.Sample(&probs, rng))
					}
					t3 := time.Now()
					level, plan, stepping = level+t1.Sub(t0), plan+t2.Sub(t1), stepping+t3.Sub(t2)
					episodes++
					steps += e.Steps()
					if !e.ReachedExit() {
						limit++
					}
				}
				n := float64(episodes)
				b.ReportMetric(float64(level.Nanoseconds())/n, "level-ns/op")
				b.ReportMetric(float64(plan.Nanoseconds())/n, "plan-ns/op")
				b.ReportMetric(float64(stepping.Nanoseconds())/float64(steps), "ns/step")
				b.ReportMetric(float64(steps)/n, "steps/op")
				b.ReportMetric(float64(limit)/n, "timeouts/op")
				b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
			})
		}
	}
}
