package experiment

import (
	"testing"
)

// BenchmarkRunDefault runs the default preset once per iteration: the
// wall time of `mesa` itself. The share of it spent logging is measured
// from a profile:
//
//	go test ./experiment -run '^$' -bench RunDefault -benchtime 1x -cpuprofile cpu.out
//	go tool pprof -top -focus 'mesa/data\.' cpu.out
func BenchmarkRunDefault(b *testing.B) {
	benchmarkRun(b, DefaultPreset, false)
}

// BenchmarkRunDefaultSteps is BenchmarkRunDefault with the steps table.
func BenchmarkRunDefaultSteps(b *testing.B) {
	benchmarkRun(b, DefaultPreset, true)
}

func benchmarkRun(b *testing.B, preset string, steps bool) {
	c, err := Preset(preset)
	if err != nil {
		b.Fatal(err)
	}
	c.Record.Steps = steps
	dir := b.TempDir()
	for b.Loop() {
		if _, err := Run(b.Context(), c, Options{Out: dir, Overwrite: true}); err != nil {
			b.Fatal(err)
		}
	}
}
