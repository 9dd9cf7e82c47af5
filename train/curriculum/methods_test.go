package curriculum_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/evolve"
	"github.com/mesa-alignment/mesa/sgd"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/train/curriculum"
	"github.com/mesa-alignment/mesa/train/traintest"
	"github.com/mesa-alignment/mesa/world"
)

// TestMethodsWithCurricula trains a small GA and REINFORCE run under each
// curriculum and checks that the bytes (statistics, levels with their
// regret, agents) do not depend on the number of workers, and that every
// episode a method played was on a level of its source and was charged:
// the result's episodes are exactly those of the recorded iterations'
// levels, each played by every member.
func TestMethodsWithCurricula(t *testing.T) {
	d, err := world.Preset("train-randomized")
	if err != nil {
		t.Fatal(err)
	}
	d.Randomize = 0.05
	curricula := []train.Curriculum{train.Random{}, curriculum.Replay{Buffer: 16},
		curriculum.Adversary{Replay: curriculum.Replay{Buffer: 16}}}
	methods := []struct {
		m       train.Method
		members int // episodes per level per iteration
	}{
		{&evolve.GA{PopulationSize: 6, Levels: 4}, 6},
		{&sgd.REINFORCE{BatchSize: 8}, 1},
	}
	for _, c := range curricula {
		for _, mc := range methods {
			t.Run(c.Name()+"/"+mc.m.Name(), func(t *testing.T) {
				var ref []byte
				for _, workers := range []int{1, 3} {
					p := &train.Problem{Family: agents.Reactive{}, Train: d, Seed: 9, Curriculum: c}
					rec := &traintest.Recorder{}
					res, err := mc.m.Train(context.Background(), p, &train.Settings{EnvSteps: 1 << 30, Iterations: 6, Workers: workers, Recorder: rec})
					if err != nil {
						t.Fatal(err)
					}
					if res.Status != train.IterationLimit {
						t.Fatalf("status %v, want the iteration limit", res.Status)
					}
					got := traintest.Encode(nil, res, rec.Stats)
					if workers == 1 {
						ref = got
						episodes, seen := 0, map[int]bool{}
						for _, st := range rec.Stats {
							if !seen[st.Iteration] {
								seen[st.Iteration] = true
								episodes += len(st.Levels) * mc.members
							}
							for _, l := range st.Levels {
								if l.Regret != l.Oracle-l.Return || l.Return > l.Oracle+1e-12 {
									t.Fatalf("iteration %d: level %+v: regret is not oracle − return", st.Iteration, l)
								}
							}
						}
						if episodes != res.Episodes {
							t.Errorf("%d episodes on the source's levels, %d charged", episodes, res.Episodes)
						}
						continue
					}
					if !bytes.Equal(got, ref) {
						t.Errorf("workers=%d: results differ from workers=1", workers)
					}
				}
			})
		}
	}
}
