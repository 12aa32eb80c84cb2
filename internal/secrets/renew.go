package secrets

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"
)

// renewals keeps kiln's token and the leases it fetched alive while the step runs, with
// one api.LifetimeWatcher each: a step may outlast a token's TTL (a 40-minute Packer
// build, a 20-minute token), and the dynamic secrets and Close's revocation need it.
type renewals struct {
	api  *api.Client     // a copy of the session's client whose requests stop cancels
	ctx  context.Context // done once Close stops the watchers
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// keepTokenAlive renews the token kiln logged in for, if it is renewable. A token given
// through VAULT_TOKEN belongs to the pipeline: kiln never renews it.
func (s *Session) keepTokenAlive() {
	login := s.client.login
	if !s.own || login == nil || login.Auth == nil || !login.Auth.Renewable {
		return
	}
	s.watch("kiln's token (accessor "+s.Accessor+")", login)
}

// keepLeaseAlive renews the lease of a dynamic secret, if it is renewable.
func (s *Session) keepLeaseAlive(sec *api.Secret) {
	if sec == nil || sec.LeaseID == "" || !sec.Renewable {
		return
	}
	s.watch("lease "+sec.LeaseID, sec)
}

// watch starts a watcher renewing sec, named what in the log. A watcher that cannot start
// is logged, not fatal: the secret still lasts its TTL.
func (s *Session) watch(what string, sec *api.Secret) {
	if s.renew == nil {
		// Not the step's context: after SIGINT the tool still runs its cleanup, and Close
		// still revokes, with the token.
		ctx, stop := context.WithCancel(context.Background())
		c, err := stoppableClient(ctx, s.client.api)
		if err != nil {
			stop()
			s.logf("cannot renew %s: %s", what, s.client.creds.String(err.Error()))
			return
		}
		s.renew = &renewals{api: c, ctx: ctx, stop: stop}
	}
	r := s.renew
	w, err := r.api.NewLifetimeWatcher(&api.LifetimeWatcherInput{Secret: sec})
	if err != nil {
		s.logf("cannot renew %s: %v", what, err)
		return
	}
	r.wg.Add(2)
	go func() { defer r.wg.Done(); w.Start() }()
	go func() { defer r.wg.Done(); s.follow(r.ctx, what, w) }()
}

// follow logs what w does until it ends or ctx is done, which stops it.
func (s *Session) follow(ctx context.Context, what string, w *api.LifetimeWatcher) {
	for {
		select {
		case <-ctx.Done():
			w.Stop()
			return
		case out := <-w.RenewCh():
			s.logf("renewed %s: TTL %s", what, ttl(out.Secret))
		case err := <-w.DoneCh():
			if ctx.Err() != nil {
				return // stopped by Close, its request cancelled
			}
			for len(w.RenewCh()) > 0 { // renewals sent just before the end
				s.logf("renewed %s: TTL %s", what, ttl((<-w.RenewCh()).Secret))
			}
			if err != nil {
				s.logf("renewing %s failed; it lasts until its TTL runs out: %s",
					what, s.client.creds.String(OneLine(err).Error()))
			} else {
				s.logf("%s can no longer be renewed (max TTL reached, or renewal refused); it lasts until its TTL runs out", what)
			}
			return
		}
	}
}

// stopRenewals stops the watchers and waits for their goroutines to end.
func (s *Session) stopRenewals() {
	if s.renew == nil {
		return
	}
	s.renew.stop()
	s.renew.wg.Wait()
	s.renew.api.ClearToken()
}

// ttl is the TTL a renewal granted.
func ttl(sec *api.Secret) time.Duration {
	switch {
	case sec == nil:
		return 0
	case sec.Auth != nil:
		return time.Duration(sec.Auth.LeaseDuration) * time.Second
	}
	return time.Duration(sec.LeaseDuration) * time.Second
}

// stoppableClient returns a copy of c whose requests are cancelled, and not retried, once
// ctx is done: the watchers renew with api calls that take no context, and Close must not
// wait up to requestTimeout for a renewal that a slow Vault has not answered yet.
func stoppableClient(ctx context.Context, c *api.Client) (*api.Client, error) {
	cfg := c.CloneConfig() // a copy of c's http.Client: its transport is wrapped, not c's
	cfg.HttpClient.Transport = stopTransport{stop: ctx, base: cfg.HttpClient.Transport}
	cfg.CheckRetry = func(rctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return retryPolicy(rctx, resp, err)
	}
	wc, err := api.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	wc.SetHeaders(c.Headers()) // c's headers, its namespace among them
	wc.SetToken(c.Token())
	return wc, nil
}

// stopTransport cancels the requests it carries once stop is done.
type stopTransport struct {
	stop context.Context
	base http.RoundTripper
}

func (t stopTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	unhook := context.AfterFunc(t.stop, cancel)
	// The request's own context ends with the api call (the client's Timeout bounds it);
	// then the hook on stop goes too.
	context.AfterFunc(ctx, func() { unhook() })
	return t.base.RoundTrip(req.WithContext(ctx))
}
