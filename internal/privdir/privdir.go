// Package privdir makes the private directories kiln keeps secrets in while a step runs
// (Terraform's 0600 variable and backend files, Vault secrets written to files, Packer's
// TMPDIR) and sweeps the ones a killed run left behind. A step removes its own directories
// on every exit it lives through; a SIGKILL leaves them, so every step first removes those
// of kiln processes that no longer run.
package privdir

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// prefix starts every private directory's name: kiln-<kind>-<pid>-<random>.
const prefix = "kiln-"

// New creates a private (0700) directory under base ("" for the system's temporary
// directory) for kind ("tf", "vault", "pk"), named after this process.
func New(base, kind string) (string, error) {
	return os.MkdirTemp(base, fmt.Sprintf("%s%s-%d-", prefix, kind, os.Getpid()))
}

// Sweep removes, under base, the private directories of kiln processes that no longer run,
// owned by this user, and returns how many it removed.
func Sweep(base string) (int, error) {
	dirs, err := Orphans(base)
	n := 0
	for _, d := range dirs {
		if os.RemoveAll(d) == nil {
			n++
		}
	}
	return n, err
}

// Orphans lists, under base ("" for the system's temporary directory), the private
// directories of kiln processes that no longer run, owned by this user.
func Orphans(base string) ([]string, error) {
	if base == "" {
		base = os.TempDir()
	}
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		pid, ok := owner(e.Name())
		if !ok || !e.IsDir() || running(pid) {
			continue
		}
		path := filepath.Join(base, e.Name())
		if st, err := os.Lstat(path); err != nil || !mine(st) {
			continue
		}
		out = append(out, path)
	}
	return out, nil
}

// Owner returns the pid of the kiln process a private directory (a path or a name) is named
// after.
func Owner(path string) (int, bool) { return owner(filepath.Base(path)) }

// owner returns the pid in a private directory's name.
func owner(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return 0, false
	}
	parts := strings.SplitN(rest, "-", 3) // kind, pid, random
	if len(parts) != 3 {
		return 0, false
	}
	pid, err := strconv.Atoi(parts[1])
	return pid, err == nil && pid > 0
}

// running reports whether a process pid exists. A pid reused since only delays the sweep
// of that directory until the new process ends: never a directory of a live run removed.
func running(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

// mine reports whether this user owns the directory.
func mine(st os.FileInfo) bool {
	s, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(s.Uid) == os.Getuid()
}
