package checks

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Limits on what a goss check reads.
const (
	maxGossfile   = 1 << 20  // the gossfile sent to goss
	maxGossOutput = 16 << 20 // goss's JSON report
)

// gossConfigError is goss's exit code for a gossfile it cannot use (EX_CONFIG): invalid
// YAML, no tests.
const gossConfigError = 78

// Goss is a goss check. Each attempt logs in over SSH, copies the goss binary Binary (a
// Linux executable for the machine's architecture) to ~/.cache/kiln on the machine unless
// the same binary is already there, runs `goss -g - validate --format json` with the
// gossfile Gossfile on its standard input, and passes when goss reports at least one
// assertion and no failed one. The gossfile goes over stdin, so it must be self-contained:
// no `gossfile:` includes.
type Goss struct {
	SSHTarget
	Gossfile string // path of the gossfile on this machine
	Binary   string // path of the goss binary on this machine
}

// gossAttempt returns one attempt at the goss check g; it stores the assertions goss
// reported in *assertions.
func (r *Runner) gossAttempt(g Goss, assertions *[]Assertion) (attemptFunc, error) {
	c, err := r.prepare("goss", g.SSHTarget)
	if err != nil {
		return nil, err
	}
	gossfile, err := readGossfile(g.Gossfile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.who, err)
	}
	sum, err := inspectGoss(g.Binary)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.who, err)
	}
	remote := gossRemote{binary: g.Binary, sum: sum}
	return func(ctx context.Context) (string, error) {
		*assertions = nil
		client, err := c.connect(ctx)
		if err != nil {
			return "", err
		}
		defer client.Close()
		if err := remote.install(ctx, client); err != nil {
			return "", fmt.Errorf("%s: %w", c.who, err)
		}
		out, err := runCommand(ctx, client, remote.validateCommand(), bytes.NewReader(gossfile), maxGossOutput)
		if err != nil {
			return "", fmt.Errorf("%s: goss validate: %w", c.who, err)
		}
		if out.signal != "" {
			return "", fmt.Errorf("%s: goss validate was killed by signal %s%s", c.who, out.signal, out.excerpt())
		}
		rep, err := parseGossReport(out.stdout.Bytes())
		if err != nil {
			err = fmt.Errorf("%s: goss validate exited %d without a JSON report%s", c.who, out.code, out.excerpt())
			if out.code == gossConfigError { // the gossfile is wrong: another run will not fix it
				err = permanent(err)
			}
			return "", err
		}
		*assertions = rep
		return verdict(c.who, rep)
	}, nil
}

// readGossfile reads the gossfile at path.
func readGossfile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gossfile: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxGossfile+1))
	if err != nil {
		return nil, fmt.Errorf("gossfile %s: %w", path, err)
	}
	if len(data) > maxGossfile {
		return nil, fmt.Errorf("gossfile %s is larger than 1 MiB", path)
	}
	return data, nil
}

// inspectGoss checks that the file at path is an ELF executable and returns its SHA-256
// in hex, which names its copy on the machine.
func inspectGoss(path string) (string, error) {
	if path == "" {
		return "", errors.New("no goss binary")
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("goss binary: %w", err)
	}
	defer f.Close()
	ef, err := elf.NewFile(f)
	if err != nil || (ef.Type != elf.ET_EXEC && ef.Type != elf.ET_DYN) {
		return "", fmt.Errorf("goss binary %s is not a Linux executable (ELF)", path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", fmt.Errorf("goss binary %s: %w", path, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("goss binary %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// gossRemote is the goss binary and where its copy lives on the machine:
// ~/.cache/kiln/goss-<first 16 hex digits of its SHA-256>, in a directory only its user
// can write, so no other user can put a binary there for kiln to run. On a machine whose
// home is read-only (an immutable server) the directory is $TMPDIR/kiln-<uid> (default
// /tmp), used only when it belongs to the user and nobody else can write to it.
type gossRemote struct {
	binary string // local path
	sum    string // SHA-256, hex
}

// gossDir is the shell that sets D to the copy's directory, creating it; it exits 1 when
// there is no private directory to use.
const gossDir = `D="$HOME/.cache/kiln"; { mkdir -p "$D" && [ -w "$D" ]; } 2>/dev/null || { ` +
	`D="${TMPDIR:-/tmp}/kiln-$(id -u)"; (umask 077; mkdir -p "$D") 2>/dev/null; ` +
	`[ -d "$D" ] && [ -O "$D" ] && [ -z "$(find "$D" -maxdepth 0 -perm /022)" ] || ` +
	`{ echo "no private directory for goss: $HOME/.cache/kiln is read-only and $D is not ours alone" >&2; exit 1; }; }`

func (g gossRemote) path() string { return `"$D/goss-` + g.sum[:16] + `"` }

// install copies the binary to the machine unless a copy with the same SHA-256 is there.
func (g gossRemote) install(ctx context.Context, client *sshClient) error {
	out, err := runCommand(ctx, client, shell(gossDir+"; test -x "+g.path()+" && sha256sum "+g.path()), nil, 4096)
	if err != nil {
		return fmt.Errorf("look for goss on the machine: %w", err)
	}
	if out.code == 0 && strings.HasPrefix(out.stdout.String(), g.sum) {
		return nil
	}
	f, err := os.Open(g.binary)
	if err != nil {
		return fmt.Errorf("goss binary: %w", err)
	}
	defer f.Close()
	tmp := `"$D/goss-` + g.sum[:16] + `.$$"`
	script := strings.Join([]string{
		gossDir, "set -e", "umask 077", "cat > " + tmp,
		// A copy cut short by a dropped connection must not become the cached binary.
		`if command -v sha256sum >/dev/null && [ "$(sha256sum < ` + tmp + ` | cut -c1-64)" != ` + g.sum + ` ]; then rm -f ` + tmp +
			`; echo "the copy of goss is incomplete" >&2; exit 1; fi`,
		"chmod 700 " + tmp, "mv -f " + tmp + " " + g.path(),
	}, "; ")
	out, err = runCommand(ctx, client, shell(script), f, 4096)
	if err != nil {
		return fmt.Errorf("copy goss to the machine: %w", err)
	}
	if out.code != 0 || out.signal != "" {
		return fmt.Errorf("copy goss to the machine: exited %d%s", out.code, out.excerpt())
	}
	return nil
}

// validateCommand runs the copy with the gossfile on its standard input.
func (g gossRemote) validateCommand() string {
	return shell(gossDir + "; exec " + g.path() + " -g - validate --format json")
}

// shell wraps a POSIX sh script (which holds no single quote) so that it runs the same
// whatever the user's login shell is.
func shell(script string) string {
	return "sh -c '" + script + "'"
}
