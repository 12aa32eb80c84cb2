package secrets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/privdir"
)

// API returns the Vault client logged in for the step (for the transit engine), or nil when
// the step did not log in.
func (s *Session) API() *api.Client {
	if s.client == nil {
		return nil
	}
	return s.client.api
}

// closeTimeout bounds Close, which runs with a context of its own: the step's context may
// already be cancelled by SIGINT/SIGTERM.
const closeTimeout = 15 * time.Second

// Open logs in to Vault and fetches the secrets mapped to o.Step. A step with no mapping
// does not contact Vault. On error, whatever was already created is revoked and removed.
func Open(ctx context.Context, o Options) (*Session, error) {
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	s := &Session{Env: map[string]string{}, TFVars: map[string]string{}, log: o.Log, tempBase: o.TempDir}
	cfg := o.Config
	cfg.Auth = withDefaults(cfg.Auth)
	if cfg.Address != "" || len(cfg.Secrets) > 0 {
		s.Unset = unsetNames(cfg.Auth)
	}
	ms := selected(cfg.Secrets, o.Step)
	if len(ms) == 0 && !o.Login {
		return s, nil
	}
	if err := check(ms, o.TempDir); err != nil {
		return nil, err
	}
	c, err := newClient(cfg, o.Getenv)
	if err != nil {
		return nil, err
	}
	s.client = c
	s.own, s.Accessor, err = login(ctx, c, cfg.Auth, o)
	s.Values = append(s.Values, c.creds.Values()...)
	if err != nil {
		return nil, err
	}
	s.logf("logged in to %s with %s (token accessor %s)", c.addr, describe(cfg.Auth), s.Accessor)
	s.keepTokenAlive()
	for _, m := range ms {
		if err = s.fetch(ctx, m); err != nil {
			break
		}
		s.logf("%s -> %s", m.Path, strings.Join(targets(m), ", "))
	}
	if err != nil {
		if cerr := s.Close(ctx); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, err
	}
	s.Values = dedupe(s.Values)
	return s, nil
}

// targets names where a mapping's values go, for the log.
func targets(m Mapping) []string {
	var out []string
	if m.EnvPrefix != "" {
		out = append(out, m.EnvPrefix+"*")
	}
	if m.Env != "" {
		out = append(out, m.Env)
	}
	if m.TFVar != "" {
		out = append(out, "var."+m.TFVar)
	}
	if m.File {
		out = append(out, "(file)")
	}
	return out
}

// Close stops renewing, revokes the leases the session created and, when kiln logged in
// for it, its token; then it removes the secret files. A token given through VAULT_TOKEN
// belongs to the pipeline and is not revoked. Close uses its own short timeout, so it
// works after the step's context is cancelled; it is safe to call more than once.
func (s *Session) Close(ctx context.Context) error {
	if s == nil || s.closed {
		return nil
	}
	s.closed = true
	s.stopRenewals()
	errs := []error{s.removeFiles()}
	if s.client == nil {
		return errors.Join(errs...)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	for _, id := range s.leases {
		err := s.client.api.Sys().RevokeWithContext(ctx, id)
		switch {
		case err == nil:
		case s.own && isStatus(err, http.StatusForbidden):
			// No sys/leases/revoke in the policy: revoking the token below revokes its leases.
		default:
			errs = append(errs, s.client.fail(ctx, opRead, "revoke lease "+id, err))
		}
	}
	if s.own {
		err := s.client.api.Auth().Token().RevokeSelfWithContext(ctx, "")
		if err != nil && !isStatus(err, http.StatusForbidden) { // 403: the token already expired
			errs = append(errs, s.client.fail(ctx, opRead, "revoke kiln's token", err))
		}
	}
	s.client.api.ClearToken()
	err := errors.Join(errs...)
	if err == nil {
		what := fmt.Sprintf("%d lease(s)", len(s.leases))
		if s.own {
			what += " and kiln's token"
		}
		s.logf("revoked %s", what)
	}
	return err
}

// writeFile writes value to a new 0600 file named after name in the session's 0700
// directory, created on first use, and returns its path.
func (s *Session) writeFile(name, value string) (string, error) {
	if s.dir == "" {
		dir, err := privdir.New(s.tempBase, "vault")
		if err != nil {
			return "", fmt.Errorf("create secret directory: %w", err)
		}
		s.dir = dir
	}
	p := filepath.Join(s.dir, name)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("create secret file for %s: %w", name, err)
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("write secret file for %s: %w", name, err)
	}
	return p, nil
}

// removeFiles deletes the directory of secret files, if writeFile created one.
func (s *Session) removeFiles() error {
	if s.dir == "" {
		return nil
	}
	if err := os.RemoveAll(s.dir); err != nil {
		return exitcode.New(exitcode.Failed, "remove secret files in %s: %w", s.dir, err)
	}
	return nil
}

// logf writes one line to the log; the renewal watchers write from their goroutines.
func (s *Session) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.log, "vault: "+format+"\n", args...)
}
