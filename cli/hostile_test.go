package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/data/datatest"
)

// The hostile-directory suite: directories a clumsy or hostile user hands
// to mesa — the user's own files, a manifest or plan that is not mesa's, a
// user's units/, a symbolic link for --out and links planted inside a run,
// `--out .` in a project, a directory laid out like a file system root,
// and mesa's own runs, reports and exports with the user's files added.
// Every command that writes (run, sweep, analyze, export, render --png),
// with and without --overwrite, runs against each; none may modify or
// remove a file of the user's (path, mode, content, link target), and
// where the directory is not mesa's, none may write anything at all.

// hostileRun and hostileSweep are the configs the commands run: a run and
// a 2-point sweep of a fraction of a second each.
const (
	hostileRun   = "testdata/hostile-run.yaml"
	hostileSweep = "testdata/hostile-sweep.yaml"
)

// plant creates files under dir: "name" a regular file holding its name,
// "name/" a directory, "name -> target" a symbolic link.
func plant(t *testing.T, dir string, specs ...string) {
	t.Helper()
	for _, s := range specs {
		p := filepath.Join(dir, s)
		name, target, link := strings.Cut(s, " -> ")
		if link {
			p = filepath.Join(dir, name)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case link:
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
		case strings.HasSuffix(s, "/"):
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(p, []byte(s+"\n"), 0o640); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// mustMesa runs mesa and fails t unless it exits 0.
func mustMesa(t *testing.T, args ...string) {
	t.Helper()
	if _, errOut, code := mesa(t, args...); code != 0 {
		t.Fatalf("mesa %v: exit %d: %s", args, code, errOut)
	}
}

// userFiles returns the entries of after that are the user's: those not
// in mesa's snapshot, or changed since (a link planted over mesa's file).
func userFiles(mesas, after map[string]datatest.Entry) map[string]datatest.Entry {
	user := map[string]datatest.Entry{}
	for p, e := range after {
		if m, ok := mesas[p]; !ok || m != e {
			user[p] = e
		}
	}
	return user
}

// A hostile is one hostile directory: setup makes it under base (the
// directory of the scenario, which also holds what links point to) and
// returns the directory the commands target and its user's files.
type hostile struct {
	name string
	// setup builds the scenario; ref is a complete run to read from.
	setup func(t *testing.T, base, ref string) (target string, user map[string]datatest.Entry)
	// foreign says the target is not mesa's: no command may write
	// anything there, and every command that would write fails.
	foreign bool
	// chdir runs the commands from the target (for --out .).
	chdir bool
	// sample marks the cases run under -short.
	sample bool
	// succeed lists commands (by index in commands) that must exit 0.
	succeed []int
}

// commands are run, in order, against the target T of each hostile
// directory; R is a complete run to read from. Each writes, or would.
var commands = [][]string{
	0:  {"run", "--config", "{cfg}", "--out", "T", "--quiet"},
	1:  {"analyze", "T", "--quiet"},
	2:  {"analyze", "T", "--quiet", "--no-figures"},
	3:  {"export", "T", "--format", "csv"},
	4:  {"export", "T"},
	5:  {"render", "--run", "T", "--agent", "none/oracle", "--split", "deploy", "--png", "T/oracle.png"},
	6:  {"analyze", "R", "--out", "T", "--quiet", "--no-figures"},
	7:  {"export", "R", "--out", "T", "--format", "csv"},
	8:  {"sweep", "--config", "{sweep}", "--out", "T", "--quiet", "--shard", "0/2"},
	9:  {"sweep", "--config", "{sweep}", "--out", "T", "--quiet"},
	10: {"run", "--config", "{cfg}", "--out", "T", "--quiet", "--overwrite"},
	11: {"sweep", "--config", "{sweep}", "--out", "T", "--quiet", "--overwrite"},
	12: {"run", "--config", "{cfg}", "--out", "T", "--quiet", "--overwrite"},
	13: {"analyze", "R", "--out", "T", "--quiet"},
	14: {"export", "R", "--out", "T", "--format", "csv"},
}

// onRuns are the commands that succeed on a mesa run directory with the
// user's files in and beside it: all but those that would write another
// run's output or another plan into it.
var onRuns = []int{0, 1, 2, 3, 4, 5, 10, 11, 12}

func TestHostileDirectories(t *testing.T) {
	cfg, err := filepath.Abs(hostileRun)
	if err != nil {
		t.Fatal(err)
	}
	sweep, _ := filepath.Abs(hostileSweep)
	ref := filepath.Join(t.TempDir(), "ref")
	mustMesa(t, "run", "--config", cfg, "--out", ref, "--quiet")

	// userDir plants the user's files of a directory that is not mesa's.
	userDir := func(specs ...string) func(t *testing.T, base, ref string) (string, map[string]datatest.Entry) {
		return func(t *testing.T, base, ref string) (string, map[string]datatest.Entry) {
			plant(t, base, specs...)
			return filepath.Join(base, "D"), datatest.Snapshot(t, base)
		}
	}
	// mesaRun makes D a mesa run with its report and exports, then plants
	// the user's files in and beside it.
	mesaRun := func(specs ...string) func(t *testing.T, base, ref string) (string, map[string]datatest.Entry) {
		return func(t *testing.T, base, ref string) (string, map[string]datatest.Entry) {
			d := filepath.Join(base, "D")
			mustMesa(t, "run", "--config", cfg, "--out", d, "--quiet")
			mustMesa(t, "analyze", d, "--quiet", "--no-figures")
			mustMesa(t, "export", d, "--format", "csv")
			mustMesa(t, "export", d)
			mesas := datatest.Snapshot(t, base)
			for _, s := range specs {
				name, _, _ := strings.Cut(s, " -> ")
				os.RemoveAll(filepath.Join(base, name)) // a link planted over mesa's file or directory
			}
			plant(t, base, specs...)
			return d, userFiles(mesas, datatest.Snapshot(t, base))
		}
	}
	for _, h := range []hostile{
		{name: "the user's files", foreign: true, sample: true, setup: userDir(
			"D/notes.txt", "D/lock.old", "D/lock", "D/lock.0123456789abcdef", "D/units/mine.txt", "D/episodes.arrow",
			"D/report/mine.png", "D/parquet/x.parquet", "D/csv/", "D/.merge.tmp/x")},
		{name: "a manifest that is not mesa's", foreign: true, setup: userDir(
			"D/manifest.json", "D/report/report.md", "D/report/fig.png", "D/episodes.arrow", "D/units/u/manifest.json")},
		{name: "a plan.json that is not mesa's", foreign: true, setup: userDir(
			"D/plan.json", "D/units/p0000-sgd-reactive-s0000/manifest.json", "D/units/mine.txt")},
		{name: "a user's units/", foreign: true, setup: userDir("D/units/mine.txt")},
		{name: "a symbolic link --out to the user's directory", foreign: true, setup: func(t *testing.T, base, ref string) (string, map[string]datatest.Entry) {
			plant(t, base, "theirs/mine.arrow", "theirs/lock.old", "theirs/report/x.png", "L -> theirs")
			return filepath.Join(base, "L"), datatest.Snapshot(t, base)
		}},
		{name: "a file system root", foreign: true, setup: userDir(
			"D/bin/sh", "D/etc/passwd", "D/usr/lib/libc.so", "D/home/u/.bashrc", "D/tmp/", "D/var/lock", "D/lock", "D/units/",
			"D/root/report/report.md", "D/dev/null -> /dev/null", "D/proc -> /proc")},
		{name: "--out . in a project", foreign: true, chdir: true, sample: true, setup: userDir(
			"D/go.mod", "D/README.md", "D/report/report.md", "D/report/figure.png", "D/runs/", "D/csv/data.csv", "D/lock")},
		{name: "a mesa run with the user's files in it", sample: true, setup: mesaRun(
			"D/notes.txt", "D/mine.arrow", "D/episodes.arrow.bak", "D/lock.old", "D/lock.0123456789abcdef0", "D/units/mine.txt",
			"D/report/mine.png", "D/csv/mine.csv", "D/parquet/notes.txt", "D/.merge.tmp/x"),
			succeed: onRuns},
		{name: "a symbolic link --out to a mesa run", setup: func(t *testing.T, base, ref string) (string, map[string]datatest.Entry) {
			d := filepath.Join(base, "real")
			mustMesa(t, "run", "--config", cfg, "--out", d, "--quiet")
			mesas := datatest.Snapshot(t, base)
			plant(t, base, "real/mine.arrow", "real/lock.old", "real/units/mine.txt", "L -> real")
			return filepath.Join(base, "L"), userFiles(mesas, datatest.Snapshot(t, base))
		}, succeed: onRuns},
		{name: "a report directory with the user's figures", setup: func(t *testing.T, base, ref string) (string, map[string]datatest.Entry) {
			figs := filepath.Join(base, "figs")
			mustMesa(t, "analyze", ref, "--out", figs, "--quiet")
			mesas := datatest.Snapshot(t, base)
			plant(t, base, "figs/mine.png", "figs/outcomes-deploy.png.bak", "figs/notes/")
			return figs, userFiles(mesas, datatest.Snapshot(t, base))
		}, succeed: []int{6, 13}},
		{name: "an export directory with the user's files", setup: func(t *testing.T, base, ref string) (string, map[string]datatest.Entry) {
			exp := filepath.Join(base, "exp")
			mustMesa(t, "export", ref, "--out", exp, "--format", "csv")
			mesas := datatest.Snapshot(t, base)
			plant(t, base, "exp/mine.csv", "exp/episodes.parquet")
			return exp, userFiles(mesas, datatest.Snapshot(t, base))
		}, succeed: []int{7, 14}},
		{name: "a link for report.md in mesa's report", setup: mesaRun(
			"outside/notes.md", "D/report/report.md -> ../../outside/notes.md", "D/csv/episodes.csv -> ../../outside/notes.md"),
			succeed: []int{0, 4, 5, 10, 11, 12}},
		{name: "symbolic links planted in a mesa run", sample: true, setup: mesaRun(
			"outside/figs/mine.png", "outside/figs/report.md", "outside/csv/episodes.csv", "outside/target.arrow", "outside/units/u/x",
			"D/report -> ../outside/figs", "D/csv/.episodes.csv.tmp -> ../../outside/target.arrow",
			"D/parquet/episodes.parquet -> ../../outside/target.arrow", "D/manifest.json.tmp -> ../outside/target.arrow",
			"D/lock.0123456789abcdef -> ../outside/target.arrow", "D/units -> ../outside/units",
			"D/steps.arrow.tmp -> ../outside/target.arrow"),
			succeed: []int{0, 5}},
	} {
		t.Run(h.name, func(t *testing.T) {
			switch {
			case raceEnabled:
				t.Skip("the directory suite is about files, not goroutines: skipped under -race")
			case testing.Short() && !h.sample:
				t.Skip("a sample of the cases runs under -short")
			}
			base := t.TempDir()
			target, user := h.setup(t, base, ref)
			if len(user) == 0 {
				t.Fatal("no user files")
			}
			before := datatest.Snapshot(t, base)
			if h.chdir {
				t.Chdir(target)
				target = "."
			}
			for i, c := range commands {
				args := make([]string, len(c))
				for k, a := range c {
					a = strings.ReplaceAll(a, "{cfg}", cfg)
					a = strings.ReplaceAll(a, "{sweep}", sweep)
					switch {
					case a == "T":
						a = target
					case a == "R":
						a = ref
					case strings.HasPrefix(a, "T/"):
						a = filepath.Join(target, a[2:])
					}
					args[k] = a
				}
				_, errOut, code := mesa(t, args...)
				after := datatest.Snapshot(t, base)
				datatest.Kept(t, "mesa "+strings.Join(args, " "), user, after)
				switch {
				case h.foreign && code == 0:
					t.Errorf("mesa %v: exit 0 on a directory that is not mesa's", args)
				case h.foreign && len(after) != len(before):
					t.Errorf("mesa %v wrote into a directory that is not mesa's (%d entries, was %d)", args, len(after), len(before))
				case containsInt(h.succeed, i) && code != 0:
					t.Errorf("mesa %v: exit %d: %s", args, code, errOut)
				}
				if strings.Contains(errOut, "panic") || strings.Count(strings.TrimSuffix(errOut, "\n"), "\n") > 0 && code != 0 {
					t.Errorf("mesa %v: stderr %q", args, errOut)
				}
			}
		})
	}
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}
