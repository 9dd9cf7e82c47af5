//go:build linux || darwin

package data_test

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/mesa-alignment/mesa/data"
)

// child runs the test binary as a child process in one of these modes,
// reporting on stdout, and returns its exit code:
//
//	write DIR LIMIT WHEN   write a run into DIR under a file size limit of
//	                       LIMIT bytes (0: none); the write fails at an
//	                       append (WHEN=append) or at Close (WHEN=close)
//	fulldisk DIR SIZE WHEN mount a SIZE-byte tmpfs on DIR (in the child's
//	                       own mount namespace), then write as above
//	lock DIR MODE HOLDER   lock DIR (MODE shared or exclusive), print
//	                       "locked" or "error: " and the error, then hold
//	                       the lock until stdin closes, unlock and print
//	                       "unlocked"
func child(mode string, args []string) int {
	fail := func(err error) int {
		childf("child error: %v", err)
		return 3
	}
	switch mode {
	case "write":
		limit, err := strconv.ParseUint(args[1], 10, 64)
		if err != nil {
			return fail(err)
		}
		if limit > 0 {
			// The kernel sends SIGXFSZ to a process that writes past the
			// limit; ignored, the write fails with EFBIG instead.
			signal.Ignore(syscall.SIGXFSZ)
			if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: limit, Max: limit}); err != nil {
				return fail(err)
			}
		}
		childWrite(args[0], args[2])
		return 0
	case "fulldisk":
		size, err := strconv.Atoi(args[1])
		if err != nil {
			return fail(err)
		}
		if mountTmpfs == nil {
			childf("skip: no tmpfs on this system")
			return 0
		}
		if err := mountTmpfs(args[0], size); err != nil {
			childf("skip: mount tmpfs: %v", err)
			return 0
		}
		childWrite(args[0], args[2])
		// The parent cannot see into this mount namespace: list the
		// directory for it.
		es, err := os.ReadDir(args[0])
		if err != nil {
			return fail(err)
		}
		for _, e := range es {
			childf("file: %s", e.Name())
		}
		if m, err := data.ReadManifest(args[0]); err != nil {
			childf("manifest error: %v", err)
		} else {
			childf("manifest: %s %d tables", m.Status, len(m.Tables))
		}
		return 0
	case "lock":
		m := data.LockShared
		if args[1] == "exclusive" {
			m = data.LockExclusive
		}
		l, err := data.Lock(args[0], m, args[2])
		if err != nil {
			childf("error: %v", err)
			return 0
		}
		childf("locked")
		_, _ = io.Copy(io.Discard, os.Stdin)
		if err := l.Unlock(); err != nil {
			return fail(err)
		}
		childf("unlocked")
		return 0
	}
	return fail(errors.New("unknown child mode " + mode))
}

// childWrite writes a run into dir whose episodes table outgrows the
// limits the write tests set: at an append (when == "append", small
// batches) or at Close. Like experiment.Run, it aborts the run on an
// append error. It prints "error: " and each error, or "no error".
func childWrite(dir, when string) {
	batch := 0
	if when == "append" {
		batch = 500
	}
	w, err := data.Create(dir, testInfo(), data.Options{BatchRows: batch, Steps: true})
	if err != nil {
		childf("error: %v", err)
		return
	}
	err = errors.Join(w.SetPoint(0, pointValues(0)), w.AppendTraining(trainingRows(10)...), w.AppendAgents(agentRows(10)...),
		w.AppendAttribution(attributionRows(10)...), w.AppendSteps(stepRows(10)...))
	if err == nil {
		for range 10 {
			if err = w.AppendEpisodes(episodeRows(300)...); err != nil {
				break
			}
		}
	}
	if err != nil {
		childf("error: %v", err)
		if err := w.Abort(err); err != nil {
			childf("error: %v", err)
		}
		return
	}
	if err := w.Close(); err != nil {
		childf("error: %v", err)
		return
	}
	childf("no error")
}

// mountTmpfs mounts a tmpfs of size bytes on dir, where the system can.
var mountTmpfs func(dir string, size int) error
