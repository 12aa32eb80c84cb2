package check

import (
	"fmt"
	"net/url"
	"path/filepath"

	"github.com/kiln-ci/kiln/internal/checks"
	"github.com/kiln-ci/kiln/internal/config"
)

// remote resolves what ssh, goss and immutable checks take from outside kiln.yaml: the
// login key's path from the environment, the goss binary, the baked packages digest.
type remote struct {
	cfg      *config.Config
	getenv   func(string) string
	dir      string // the working directory
	gossFlag string // --goss / KILN_GOSS
	packages string // the record's image packages digest, for immutable checks
}

// sshSpec maps an ssh check, rendering its address, user, host key, command and expected
// output from data.
func (rm remote) sshSpec(name string, s *config.SSHCheck, data map[string]any) (*checks.SSH, error) {
	t, err := rm.target(name, "ssh", s.Connection(), data)
	if err != nil {
		return nil, err
	}
	out := &checks.SSH{SSHTarget: t, ExitCode: s.ExitCode}
	for _, f := range []struct {
		key string
		in  string
		out *string
	}{{"command", s.Command, &out.Command}, {"stdout_contains", s.StdoutContains, &out.StdoutContains}} {
		if *f.out, err = checks.Render(f.in, data); err != nil {
			return nil, fmt.Errorf("check %s: ssh.%s: %w", name, f.key, err)
		}
	}
	return out, nil
}

// gossSpec maps a goss check: its gossfile and binary resolve against kiln.yaml's directory;
// without a binary, --goss (KILN_GOSS), then .tools/bin/goss, then PATH.
func (rm remote) gossSpec(name string, g *config.GossCheck, data map[string]any) (*checks.Goss, error) {
	t, err := rm.target(name, "goss", g.Connection(), data)
	if err != nil {
		return nil, err
	}
	explicit := rm.path(rm.gossFlag)
	if g.Binary != "" {
		explicit = rm.cfg.Path(g.Binary)
	}
	bin, err := checks.FindGoss(explicit, rm.dir, rm.getenv)
	if err != nil {
		return nil, fmt.Errorf("check %s: %w", name, err)
	}
	return &checks.Goss{SSHTarget: t, Gossfile: rm.cfg.Path(g.Gossfile), Binary: bin}, nil
}

// immutableSpec maps an immutable check: its facts URL rendered from data, or its SSH
// connection; the packages digest to compare with is the record's.
func (rm remote) immutableSpec(name string, m *config.ImmutableCheck, data map[string]any) (*checks.Immutable, error) {
	out := &checks.Immutable{ReadOnlyRoot: m.ReadOnly(), ServicesOff: m.Services(), PackagesUnchanged: m.Packages(), BakedPackages: rm.packages}
	if !m.OverSSH() {
		u, err := checks.Render(m.URL, data)
		if err != nil {
			return nil, fmt.Errorf("check %s: immutable.url: %w", name, err)
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("check %s: immutable.url: the rendered URL is not http:// or https:// with a host", name)
		}
		out.URL = u
		return out, nil
	}
	t, err := rm.target(name, "immutable", m.Connection(), data)
	if err != nil {
		return nil, err
	}
	out.SSH = &t
	return out, nil
}

// target renders the connection's templates and finds its private key: private_key_file
// relative to kiln.yaml, or the path in the variable private_key_env names, relative to
// the working directory.
func (rm remote) target(name, kind string, c config.SSHConnection, data map[string]any) (checks.SSHTarget, error) {
	var t checks.SSHTarget
	for _, f := range []struct {
		key string
		in  string
		out *string
	}{{"address", c.Address, &t.Address}, {"user", c.User, &t.User}, {"host_key", c.HostKey, &t.HostKey}} {
		v, err := checks.Render(f.in, data)
		if err != nil {
			return t, fmt.Errorf("check %s: %s.%s: %w", name, kind, f.key, err)
		}
		*f.out = v
	}
	switch {
	case c.PrivateKeyFile != "":
		t.PrivateKeyFile = rm.cfg.Path(c.PrivateKeyFile)
	default:
		p := rm.getenv(c.PrivateKeyEnv)
		if p == "" {
			return t, fmt.Errorf("check %s: %s.private_key_env: %s is not set; it should hold the path of the private key", name, kind, c.PrivateKeyEnv)
		}
		t.PrivateKeyFile = rm.path(p)
	}
	return t, nil
}

// path resolves p against the working directory.
func (rm remote) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(rm.dir, p)
}
