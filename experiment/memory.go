package experiment

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"mesa/evolve"
	"mesa/sgd"
	"mesa/world"
)

// A memory estimate is an upper bound, within a small factor, on what one
// unit holds at once: it is what validation compares with the machine, so
// that a config that cannot fit is refused before anything runs, with the
// estimate in the message, instead of exhausting the machine an hour in.
type memoryTerm struct {
	what  string
	bytes float64
}

// levelBytes bounds the memory of one level of d: its walls and object
// index (a byte each per cell), and a planner's per-cell tables.
func levelBytes(d world.Distribution) float64 {
	w := max(d.Width.Max, d.Height.Max, world.MinSize)
	return float64(w*w)*(2+8*16) + 1024
}

// memoryTerms lists the big allocations of a unit of c.
func (c *Config) memoryTerms() []memoryTerm {
	var terms []memoryTerm
	lb := levelBytes(c.Train.Distribution)
	for _, f := range c.Families {
		fam, err := f.Build()
		if err != nil {
			continue
		}
		dim := float64(fam.Dim())
		for _, o := range c.Optimizers {
			var t memoryTerm
			switch o.Name {
			case "ga":
				size, pops, levels := float64(orInt(o.Population, evolve.DefaultPopulationSize)), float64(orInt(o.Populations, 1)), float64(orInt(o.Levels, evolve.DefaultLevels))
				t = memoryTerm{fmt.Sprintf("ga %s: %.0f populations × %.0f members × θ %.0f × 3 copies × 8 B, %.0f levels", f.Name, pops, size, dim, levels),
					pops*size*dim*8*3 + pops*size*512 + levels*lb}
			case "es":
				pop, levels := float64(orInt(o.Population, evolve.DefaultESPopulation)), float64(orInt(o.Levels, evolve.DefaultESLevels))
				t = memoryTerm{fmt.Sprintf("es %s: %.0f points × θ %.0f × 3 × 8 B, %.0f levels", f.Name, pop, dim, levels),
					pop*dim*8*3 + levels*lb}
			case "sgd":
				batch, pool := float64(orInt(o.Batch, sgd.DefaultBatchSize)), float64(o.LevelPool)
				t = memoryTerm{fmt.Sprintf("sgd %s: batch %.0f × θ %.0f × 3 gradients × 8 B, %.0f pooled levels", f.Name, batch, dim, pool),
					batch*dim*8*3 + (batch+pool)*lb}
			}
			terms = append(terms, t)
		}
	}
	// Evaluation keeps a split's rows (and with steps, every step) until
	// the split is written.
	episodes, steps := 0.0, 0.0
	for _, sp := range c.Splits {
		n := float64(sp.Episodes)
		d := sp.Distribution.Distribution
		limit := float64(d.StepLimit)
		if limit == 0 {
			w := float64(max(d.Width.Max, d.Height.Max))
			limit = w * w
		}
		episodes = max(episodes, n)
		if c.Record.Steps {
			steps = max(steps, n*limit)
		}
	}
	if !c.Probe.Off {
		episodes = max(episodes, float64(c.Probe.Episodes))
	}
	terms = append(terms, memoryTerm{fmt.Sprintf("evaluation: %.0f episodes × 1 kB, %.0f steps × 64 B", episodes, steps),
		episodes*1024 + steps*64})
	return terms
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// checkMemory refuses c if a unit would need more memory than the machine
// has, naming the largest term.
func (c *Config) checkMemory() error {
	total := MachineMemory()
	if total <= 0 {
		return nil
	}
	sum, big := 0.0, memoryTerm{}
	for _, t := range c.memoryTerms() {
		sum += t.bytes
		if t.bytes > big.bytes {
			big = t
		}
	}
	if sum > float64(total) {
		return fmt.Errorf("needs about %s of memory, more than this machine's %s (mostly %s)",
			humanBytes(sum), humanBytes(float64(total)), big.what)
	}
	return nil
}

// MachineMemory returns the machine's memory in bytes (MemTotal of
// /proc/meminfo), or 0 if it cannot tell.
func MachineMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

func humanBytes(b float64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}
	i := 0
	for b >= 1000 && i < len(units)-1 {
		b /= 1000
		i++
	}
	return strconv.FormatFloat(b, 'f', 1, 64) + " " + units[i]
}
