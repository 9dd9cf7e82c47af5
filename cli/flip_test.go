package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mesa-alignment/mesa/experiment"
)

// FuzzBitFlips flips one bit of one file of a small complete run — its
// manifest, its plan or a table — and runs analyze, render and export on
// it. Each either refuses, exit 1 with one line naming the flipped file
// and writing nothing, or prints and writes exactly what it does for the
// uncorrupted run: a corrupted run never publishes a number. The seed
// corpus (flipSeeds: bits spread over every file, its first and last
// bytes included) runs as a normal test; go test -fuzz=FuzzBitFlips
// explores further.
func FuzzBitFlips(f *testing.F) {
	for _, s := range flipSeeds(f) {
		f.Add(s.file, s.bit)
	}
	f.Fuzz(func(t *testing.T, file uint8, bit uint32) {
		base := flipBase(t)
		name := flipFiles[int(file)%len(flipFiles)]
		size := base.sizes[name]
		bit %= uint32(8 * size)
		dir := filepath.Join(t.TempDir(), "run")
		copyFiles(t, base.dir, dir)
		path := filepath.Join(dir, name)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[bit/8] ^= 1 << (bit % 8)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		got := flipOutputs(t, dir)
		t.Logf("bit %d of %s: export %d, analyze %d, render %d", bit, name, got["export"].code, got["analyze"].code, got["render"].code)
		for _, c := range flipCommands {
			g, w := got[c.name], base.want[c.name]
			what := fmt.Sprintf("%s with bit %d of %s flipped", c.name, bit, name)
			switch {
			case g.code == 0 && g.out != w.out:
				t.Errorf("%s: exit 0 with output that differs from the uncorrupted run's:\n%s\nwant:\n%s", what, g.out, w.out)
			case g.code == 0:
			case g.code != 1 || !strings.Contains(g.stderr, name) || strings.Count(g.stderr, "\n") != 1:
				t.Errorf("%s: exit %d, stderr %q; want exit 1 and one line naming %s", what, g.code, g.stderr, name)
			case g.wrote:
				t.Errorf("%s: refused, but wrote its output: %s", what, g.stderr)
			}
		}
	})
}

// flipFiles are the files of the run the fuzz test corrupts.
var flipFiles = []string{"manifest.json", "plan.json", "episodes.arrow", "training.arrow", "agents.arrow", "attribution.arrow"}

type flipSeed struct {
	file uint8
	bit  uint32
}

// flipSeeds returns the seed corpus: for each file, 16 bits spread evenly
// over it and the first and last bytes' bits (4 bits under -short and
// -race).
func flipSeeds(tb testing.TB) []flipSeed {
	base := flipBase(tb)
	spread := uint32(16)
	if testing.Short() || raceEnabled {
		spread = 2
	}
	var seeds []flipSeed
	for i, name := range flipFiles {
		bits := uint32(8 * base.sizes[name])
		for k := range spread {
			seeds = append(seeds, flipSeed{uint8(i), k*bits/spread + (k*5)%8})
		}
		seeds = append(seeds, flipSeed{uint8(i), 1}, flipSeed{uint8(i), bits - 2})
	}
	return seeds
}

// A flipCommand is one reader of the run; out is what it printed and
// wrote, with the run's directory replaced by RUN.
var flipCommands = []struct {
	name string
	args []string // RUN and OUT are the run and a fresh output directory
}{
	{"export", []string{"export", "RUN", "--format", "csv", "--out", "OUT"}},
	{"analyze", []string{"analyze", "RUN", "--out", "OUT", "--no-figures"}},
	{"render", []string{"render", "--run", "RUN", "--agent", "none/oracle", "--split", "deploy", "--episode", "1", "--png", "OUT/oracle.png"}},
}

type flipOutput struct {
	code        int
	out, stderr string
	wrote       bool // the output directory holds anything
}

// flipOutputs runs the flip commands on the run in dir.
func flipOutputs(t *testing.T, dir string) map[string]flipOutput {
	t.Helper()
	outs := map[string]flipOutput{}
	for _, c := range flipCommands {
		out := filepath.Join(t.TempDir(), "out")
		if c.name == "render" {
			if err := os.Mkdir(out, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		args := slices.Clone(c.args)
		for i, a := range args {
			args[i] = strings.ReplaceAll(strings.ReplaceAll(a, "RUN", dir), "OUT", out)
		}
		stdout, stderr, code := mesa(t, args...)
		var b strings.Builder
		b.WriteString(stdout)
		es, _ := os.ReadDir(out)
		for _, e := range es {
			content, err := os.ReadFile(filepath.Join(out, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "== %s\n%s\n", e.Name(), content)
		}
		norm := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, dir, "RUN"), out, "OUT") }
		outs[c.name] = flipOutput{code: code, out: norm(b.String()), stderr: stderr, wrote: len(es) > 0}
	}
	return outs
}

// The uncorrupted run, made once per test binary, and what the commands
// make of it.
var flip struct {
	once  sync.Once
	dir   string
	sizes map[string]int
	err   error
	mu    sync.Mutex
	want  map[string]flipOutput
}

type flipRun struct {
	dir   string
	sizes map[string]int
	want  map[string]flipOutput
}

// flipBase returns the uncorrupted run; with a *testing.T, also the
// commands' outputs on it.
func flipBase(tb testing.TB) flipRun {
	tb.Helper()
	flip.once.Do(func() {
		dir, err := os.MkdirTemp("", "mesa-flip-")
		if err != nil {
			flip.err = err
			return
		}
		flip.dir = filepath.Join(dir, "run")
		var out, errb bytes.Buffer
		if err := run(tb.Context(), []string{"run", "--config", hostileRun, "--out", flip.dir, "--quiet"}, &out, &errb); err != nil {
			flip.err = fmt.Errorf("%v: %s", err, errb.String())
			return
		}
		flip.sizes = map[string]int{}
		for _, n := range flipFiles {
			st, err := os.Stat(filepath.Join(flip.dir, n))
			if err != nil {
				flip.err = err
				return
			}
			flip.sizes[n] = int(st.Size())
		}
	})
	if flip.err != nil {
		tb.Fatal(flip.err)
	}
	r := flipRun{dir: flip.dir, sizes: flip.sizes}
	t, ok := tb.(*testing.T)
	if !ok {
		return r
	}
	flip.mu.Lock()
	defer flip.mu.Unlock()
	if flip.want == nil {
		// From a copy, as the corrupted runs are read.
		dir := filepath.Join(t.TempDir(), "run")
		copyFiles(t, flip.dir, dir)
		want := flipOutputs(t, dir)
		for _, c := range flipCommands {
			if w := want[c.name]; w.code != 0 || !w.wrote {
				t.Fatalf("%s of the uncorrupted run: exit %d: %s", c.name, w.code, w.stderr)
			}
		}
		flip.want = want
	}
	r.want = flip.want
	return r
}

// copyFiles copies the regular files of src (not its subdirectories) into
// dst, created.
func copyFiles(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	es, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if !e.Type().IsRegular() || e.Name() == "lock" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// childEnv holds, JSON-encoded, the arguments of mesa when the test binary
// runs as a child process (see mesaChild); childLimitEnv the file size
// limit it runs under.
const (
	childEnv      = "MESA_CMD_TEST_CHILD"
	childLimitEnv = "MESA_CMD_TEST_FSIZE"
)

// limitFileSize sets the process's file size limit (RLIMIT_FSIZE), where
// the system has one.
var limitFileSize func(bytes uint64) error

func TestMain(m *testing.M) {
	if os.Getenv(asMesaEnv) == "1" {
		os.Exit(Run(experiment.Builtin()))
	}
	if a := os.Getenv(childEnv); a != "" {
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		if n, err := strconv.ParseUint(os.Getenv(childLimitEnv), 10, 64); err == nil && limitFileSize != nil {
			if err := limitFileSize(n); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(3)
			}
		}
		os.Exit(exitCode(run(context.Background(), args, os.Stdout, os.Stderr), os.Stderr))
	}
	code := m.Run()
	if flip.dir != "" {
		os.RemoveAll(filepath.Dir(flip.dir))
	}
	os.Exit(code)
}
