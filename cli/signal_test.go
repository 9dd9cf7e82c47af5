package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// asMesaEnv makes the test binary run as mesa, signals and all (see
// TestMain in flip_test.go): the signal tests run it as a child process.
const asMesaEnv = "MESA_TEST_AS_MESA"

// TestWithSignals: the first stop signal cancels the context with the
// signal as its cause, a second one exits at once with 128+n and one line.
func TestWithSignals(t *testing.T) {
	var stderr bytes.Buffer
	exited := make(chan int, 1)
	ctx, stop := withSignals(context.Background(), &stderr, func(code int) { exited <- code })
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not cancel the context")
	}
	var sig stopSignal
	if !errors.As(context.Cause(ctx), &sig) || sig.sig != syscall.SIGTERM {
		t.Fatalf("cause %v, want SIGTERM", context.Cause(ctx))
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if code != 130 || stderr.String() != "mesa: SIGINT again: stopped at once\n" {
			t.Errorf("second signal: exit %d, stderr %q", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a second signal did not exit")
	}
}

// TestStopped: a command whose context a signal canceled says so in one
// line and exits with 128+n, and writes nothing.
func TestStopped(t *testing.T) {
	run := renderRun(t)
	for _, tt := range []struct {
		sig  syscall.Signal
		args []string
		out  string // must not exist afterwards
		want string
	}{
		{syscall.SIGINT, []string{"analyze", run, "--out", "OUT"}, "OUT", "mesa: analyze: stopped by SIGINT\n"},
		{syscall.SIGTERM, []string{"export", run, "--format", "csv", "--out", "OUT"}, "OUT/episodes.csv", "mesa: export: stopped by SIGTERM\n"},
		{syscall.SIGHUP, []string{"sweep", "plan", "--config", "testdata/render-run.yaml"}, "", "mesa: sweep plan: stopped by SIGHUP\n"},
		{syscall.SIGTERM, []string{"render", "--run", run, "--agent", "none/oracle", "--split", "deploy", "--png", "OUT"}, "OUT", "mesa: render: stopped by SIGTERM\n"},
		{syscall.SIGINT, []string{"sweep", "--config", "testdata/render-run.yaml", "--out", "OUT", "--quiet"}, "OUT",
			"mesa: sweep: stopped by SIGINT\n"}, // while reading the config: nothing started
	} {
		dir := t.TempDir()
		out := filepath.Join(dir, "out")
		args := make([]string, len(tt.args))
		for i, a := range tt.args {
			args[i] = strings.ReplaceAll(a, "OUT", out)
		}
		ctx, cancel := context.WithCancelCause(t.Context())
		cancel(stopSignal{tt.sig})
		var stdout, stderr bytes.Buffer
		code := exitCode(run_(ctx, args, &stdout, &stderr), &stderr)
		if want := strings.ReplaceAll(tt.want, "OUT", out); code != 128+int(tt.sig) || stderr.String() != want {
			t.Errorf("mesa %v: exit %d, stderr %q; want exit %d, %q", tt.args, code, stderr.String(), 128+int(tt.sig), want)
		}
		if tt.out != "" {
			if _, err := os.Stat(strings.ReplaceAll(tt.out, "OUT", out)); err == nil {
				t.Errorf("mesa %v: stopped, it wrote %s", tt.args, tt.out)
			}
		}
	}
}

// run_ is run, named apart from the test's run directory variable.
var run_ = run

// TestSignalStopsSweepPlan: SIGINT, SIGTERM, SIGHUP and two SIGINTs stop
// a 30000-point sweep plan (two SIGINTs once left a 10000-point one
// running on for 25 s) with exit code 128+n and one line on stderr.
func TestSignalStopsSweepPlan(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("plans 10000 sweep points in a child process")
	}
	var seeds, episodes []string // 300 × 100 points, some seconds' work
	for i := range 300 {
		seeds = append(seeds, fmt.Sprint(i))
	}
	for i := range 100 {
		episodes = append(episodes, fmt.Sprint(i+1))
	}
	cfg := filepath.Join(t.TempDir(), "big.yaml")
	text := "name: big\ntrain: {preset: train}\nsplits: [{name: deploy, distribution: {preset: deploy}}]\n" +
		"families: [{name: planner}, {name: reactive}]\noptimizers: [{name: ga}, {name: sgd}]\nbudget: {env_steps: 1000}\n" +
		"sweep:\n  seed: [" + strings.Join(seeds, ", ") + "]\n  evaluate.episodes: [" + strings.Join(episodes, ", ") + "]\n"
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		sigs []syscall.Signal
		want []string // stderr, one of
	}{
		{[]syscall.Signal{syscall.SIGINT}, []string{"mesa: sweep plan: stopped by SIGINT\n"}},
		{[]syscall.Signal{syscall.SIGTERM}, []string{"mesa: sweep plan: stopped by SIGTERM\n"}},
		{[]syscall.Signal{syscall.SIGHUP}, []string{"mesa: sweep plan: stopped by SIGHUP\n"}},
		{[]syscall.Signal{syscall.SIGINT, syscall.SIGINT}, []string{"mesa: sweep plan: stopped by SIGINT\n", "mesa: SIGINT again: stopped at once\n"}},
	} {
		cmd := exec.Command(os.Args[0], "sweep", "plan", "--config", cfg)
		cmd.Env = append(os.Environ(), asMesaEnv+"=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond) // started, and validating the points
		var sent time.Time
		for _, s := range tt.sigs {
			sent = time.Now()
			if err := cmd.Process.Signal(s); err != nil {
				t.Fatal(err)
			}
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: still running 20 s after the signal", tt.sigs)
		}
		t.Logf("%v: stopped %v after the signal", tt.sigs, time.Since(sent).Round(time.Millisecond))
		code, sig := cmd.ProcessState.ExitCode(), tt.sigs[len(tt.sigs)-1]
		if code != 128+int(sig) || !slices.Contains(tt.want, stderr.String()) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d, one of %q", tt.sigs, code, stderr.String(), 128+int(sig), tt.want)
		}
	}
}

// TestPrintable: errors reach the terminal without raw bytes.
func TestPrintable(t *testing.T) {
	for in, want := range map[string]string{
		"open a\xffb.yaml: no such file": `open a\xffb.yaml: no such file`,
		"esc \x1b[31mred\x1b[0m":         `esc \x1b[31mred\x1b[0m`,
		"tab\tand\nnewline stay":         "tab\tand\nnewline stay",
		"ünïcödé − ✓ and U+FFFD \uFFFD":  "ünïcödé − ✓ and U+FFFD \uFFFD",
		"c1 \u0085 del \x7f":             `c1 \u0085 del \x7f`,
	} {
		if got := printable(in); got != want || !utf8.ValidString(got) {
			t.Errorf("printable(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStoppedRun: a run a signal stops says how to continue it.
func TestStoppedRun(t *testing.T) {
	cfg, err := loadConfig(t.Context(), "", "smoke", nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run")
	fs := newFlags("run", io.Discard)
	rf := addRunFlags(fs)
	if err := parseFlags(fs, []string{"--out", dir, "--quiet"}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(stopSignal{syscall.SIGTERM})
	var stdout, stderr bytes.Buffer
	code := exitCode(execute(ctx, "run", cfg, rf, nil, &stdout, &stderr), &stderr)
	if want := "mesa: run: stopped by SIGTERM; the same command continues the run in " + dir + "\n"; code != 143 || stderr.String() != want {
		t.Errorf("exit %d, stderr %q; want 143, %q", code, stderr.String(), want)
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err == nil {
		t.Error("a stopped run wrote manifest.json")
	}
}
