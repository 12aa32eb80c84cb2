package record

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/kiln-ci/kiln/internal/atomicfile"
	"github.com/kiln-ci/kiln/internal/exitcode"
)

// ReadDotenv reads kiln.env at path; a missing file is an empty Dotenv. Errors carry
// exitcode.RecordInvalid (see ParseDotenv).
func ReadDotenv(path string) (Dotenv, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Dotenv{}, nil
	}
	if err != nil {
		return Dotenv{}, exitcode.New(exitcode.RecordInvalid, "%s: cannot read: %w", path, bare(err))
	}
	return ParseDotenv(data, path)
}

// ParseDotenv parses kiln.env content strictly, as kiln writes it: KEY=value lines that
// pass CheckDotenvKey and CheckDotenvValue, each key once, no empty or comment lines (GitLab
// refuses those too). The final newline may be missing. Errors name the file and line and
// carry exitcode.RecordInvalid.
func ParseDotenv(data []byte, name string) (Dotenv, error) {
	var d Dotenv
	if len(data) == 0 {
		return d, nil
	}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if err := d.parseLine(line); err != nil {
			return Dotenv{}, exitcode.New(exitcode.RecordInvalid, "%s:%d: %w", name, i+1, err)
		}
	}
	return d, nil
}

func (d *Dotenv) parseLine(line string) error {
	key, value, ok := strings.Cut(line, "=")
	switch {
	case line == "":
		return errors.New("empty line (GitLab refuses dotenv files with empty lines)")
	case strings.HasPrefix(line, "#"):
		return errors.New("comment line (GitLab refuses dotenv files with comments)")
	case !ok:
		return fmt.Errorf("%.40q is not a KEY=value line", line)
	}
	if _, dup := d.Get(key); dup {
		return fmt.Errorf("%s is set twice", key)
	}
	return d.Set(key, value)
}

// WriteDotenv writes d to path atomically (like Write), after checking the limits of
// Dotenv.Bytes.
func WriteDotenv(path string, d Dotenv) error {
	data, err := d.Bytes()
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.Write(path, data, 0o644)
}
