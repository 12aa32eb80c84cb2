package checks

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// FindGoss returns the path of the goss binary a goss check copies to the machine: explicit
// when set (it must exist), else .tools/bin/goss in dir or the nearest parent that has one
// (where scripts/tools.sh builds it), else goss in the PATH that getenv returns.
func FindGoss(explicit, dir string, getenv func(string) string) (string, error) {
	if explicit != "" {
		if err := isExecutable(explicit); err != nil {
			return "", fmt.Errorf("goss binary %s: %w", explicit, err)
		}
		return explicit, nil
	}
	for d := dir; d != ""; {
		p := filepath.Join(d, ".tools", "bin", "goss")
		if isExecutable(p) == nil {
			return p, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	for _, d := range filepath.SplitList(getenv("PATH")) {
		if d == "" {
			continue
		}
		if p := filepath.Join(d, "goss"); isExecutable(p) == nil {
			return p, nil
		}
	}
	return "", errors.New("goss not found in .tools/bin or PATH (scripts/tools.sh goss builds it)")
}

// isExecutable reports why path is not an executable file, or nil.
func isExecutable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return pe.Err
		}
		return err
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return errors.New("not an executable file")
	}
	return nil
}
