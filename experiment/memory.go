package experiment

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
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

// A unit trains one optimizer × family (or none, for a reference agent),
// then evaluates its agent: the memory it holds at once is at most the
// training's term and the evaluation's.

// trainingTerm is the memory of training family f with optimizer o.
func (c *Config) trainingTerm(o Optimizer, f Family) memoryTerm {
	fam, err := f.Build()
	if err != nil {
		return memoryTerm{}
	}
	s, err := o.settings(c.registry())
	if err != nil {
		return memoryTerm{}
	}
	b, what := s.Memory(f.Name, fam.Dim(), levelBytes(c.Train.Distribution))
	return memoryTerm{what, b}
}

// evaluationTerm is the memory of evaluating one agent: a split's rows
// (and with steps, every step) are kept until the split is written.
func (c *Config) evaluationTerm() memoryTerm {
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
	return memoryTerm{fmt.Sprintf("evaluation: %.0f episodes × 1 kB, %.0f steps × 64 B", episodes, steps),
		episodes*1024 + steps*64}
}

// largestUnit returns the memory estimate of c's largest unit, described
// by its largest term.
func (c *Config) largestUnit() memoryTerm {
	eval := c.evaluationTerm()
	big := memoryTerm{}
	for _, f := range c.Families {
		for _, o := range c.Optimizers {
			if t := c.trainingTerm(o, f); t.bytes > big.bytes {
				big = t
			}
		}
	}
	unit := memoryTerm{what: big.what, bytes: big.bytes + eval.bytes}
	if eval.bytes > big.bytes {
		unit.what = eval.what
	}
	return unit
}

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// checkMemory refuses c if one of its units would need more memory than
// the machine has, naming the largest term.
func (c *Config) checkMemory() error {
	total := MachineMemory()
	if total <= 0 {
		return nil
	}
	if u := c.largestUnit(); u.bytes > float64(total) {
		return fmt.Errorf("needs about %s of memory per unit, more than this machine's %s (mostly %s)",
			humanBytes(u.bytes), humanBytes(float64(total)), u.what)
	}
	return nil
}

// unitsAtOnce returns how many of todo units of c to run at once with
// workers goroutines (0: GOMAXPROCS): one per worker, as many as there
// are units, and no more than the machine's memory holds by the estimate
// of c's largest unit. With workers 0 that many is what runs; asked for
// more explicitly, it is an error that says how many fit.
func unitsAtOnce(c *Config, workers, todo int) (int, error) {
	unit := c.unitBytes
	if len(c.Sweep) == 0 {
		unit = c.largestUnit().bytes
	}
	return atOnce(workers, min(train.Workers(workers), todo), unit, MachineMemory())
}

// atOnce is unitsAtOnce for n units at once wanted, each of unit bytes,
// on a machine of total bytes (0: unknown).
func atOnce(workers, n int, unit float64, total int64) (int, error) {
	if total <= 0 || unit <= 0 || n <= 1 {
		return max(n, 1), nil
	}
	fit := max(1, int(float64(total)/unit))
	if n <= fit {
		return n, nil
	}
	if workers == 0 {
		return fit, nil
	}
	return 0, fmt.Errorf("run: --workers %d runs %d units at once, which need about %s of memory (%s each), more than this machine's %s; give --workers %d or fewer",
		workers, n, humanBytes(float64(n)*unit), humanBytes(unit), humanBytes(float64(total)), fit)
}

// MachineMemory returns the memory this process may use, in bytes: the
// machine's (MemTotal of /proc/meminfo), or its cgroup's limit if lower
// (a Slurm job, a container); 0 if it cannot tell. It is read once.
func MachineMemory() int64 { return machineMemory() }

var machineMemory = sync.OnceValue(func() int64 {
	total := memTotal()
	if limit := cgroupMemoryLimit(); limit > 0 && (total <= 0 || limit < total) {
		return limit
	}
	return total
})

func memTotal() int64 {
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

// cgroupMemoryLimit returns the memory limit of this process's cgroup
// (v2 memory.max, or v1 memory.limit_in_bytes), or 0 if it finds none.
// Inside a container the cgroup's path may not be mounted as such: then
// the mount's root holds the limit.
func cgroupMemoryLimit() int64 {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	read := func(paths ...string) int64 {
		for _, p := range paths {
			m, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			n, err := strconv.ParseInt(strings.TrimSpace(string(m)), 10, 64)
			if err != nil { // "max": no limit
				return 0
			}
			return n
		}
		return 0
	}
	for line := range strings.Lines(string(b)) {
		fields := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(fields) != 3 {
			continue
		}
		path := filepath.Clean("/" + fields[2])
		switch {
		case fields[0] == "0" && fields[1] == "":
			if n := read(filepath.Join("/sys/fs/cgroup", path, "memory.max"), "/sys/fs/cgroup/memory.max"); n > 0 {
				return n
			}
		case fields[1] == "memory":
			return read(filepath.Join("/sys/fs/cgroup/memory", path, "memory.limit_in_bytes"), "/sys/fs/cgroup/memory/memory.limit_in_bytes")
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
