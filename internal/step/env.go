package step

import (
	"io"
	"os"
	"time"
)

// Env is everything a step may take from its process: nothing below main reads os.Getenv,
// os.Stdout or the clock directly. Tests build it from a map.
type Env struct {
	Getenv  func(string) string
	Environ func() []string // the inherited environment, the base of a child tool's
	Stdout  io.Writer
	Stderr  io.Writer
	Dir     string // the working directory
	Now     func() time.Time
	// Unsetenv removes a variable from the process environment, so that no child process
	// inherits it, not even one started without a built environment; nil when there is
	// no process environment to change.
	Unsetenv func(string) error
}

// OSEnv returns the Env of the running process.
func OSEnv() (Env, error) {
	wd, err := os.Getwd()
	if err != nil {
		return Env{}, err
	}
	return Env{
		Getenv:   os.Getenv,
		Environ:  os.Environ,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Dir:      wd,
		Now:      time.Now,
		Unsetenv: os.Unsetenv,
	}, nil
}

// MapEnv returns an Env whose variables come from vars, for tests.
func MapEnv(vars map[string]string, dir string, stdout, stderr io.Writer, now func() time.Time) Env {
	return Env{
		Getenv: func(k string) string { return vars[k] },
		Environ: func() []string {
			out := make([]string, 0, len(vars))
			for k, v := range vars {
				out = append(out, k+"="+v)
			}
			return out
		},
		Stdout: stdout,
		Stderr: stderr,
		Dir:    dir,
		Now:    now,
	}
}
