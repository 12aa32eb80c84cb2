package secrets

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
)

// TestVaultRenewal runs steps longer than their token's TTL. The sleeps exceed a TTL; no
// assertion is about how fast anything is.
func TestVaultRenewal(t *testing.T) {
	if testing.Short() {
		t.Skip("renewal tests sleep past Vault TTLs")
	}
	f := newFixture(t)
	t.Run("token outlives its ttl", func(t *testing.T) {
		o, log := f.options(t, Auth{Method: MethodAppRole}, f.shortRole(t, "short", "2s", "60s"))
		s := openOK(t, o)
		checkSecrets(t, s)
		time.Sleep(5 * time.Second)
		if !f.srv.TokenAlive(t, s.Accessor) {
			t.Fatalf("kiln's token expired with a 2s TTL renewed up to 60s:\n%s", logText(s, log.String))
		}
		for _, id := range s.leases { // a lease goes when its token expires
			if !f.srv.LeaseAlive(t, id) {
				t.Errorf("lease %s gone while the step runs", id)
			}
		}
		if !renewed(t, f, s.Accessor) {
			t.Error("Vault says kiln's token was never renewed")
		}
		sec, err := s.API().Logical().Read("kv/data/ci/app")
		if err != nil || sec == nil {
			t.Fatalf("read after the token's first TTL: %v", err)
		}
		if text := logText(s, log.String); !strings.Contains(text, "vault: renewed kiln's token (accessor "+s.Accessor+"): TTL ") {
			t.Errorf("log has no renewal line:\n%s", text)
		}
		f.closeAndCheck(t, s, log, true)
		if strings.Contains(log.String(), "renewed lease") {
			t.Errorf("a PKI lease is not renewable, yet the log says it was renewed:\n%s", log)
		}
		checkQuietAfterClose(t, log)
	})
	t.Run("max ttl reached", func(t *testing.T) {
		o, log := f.options(t, Auth{Method: MethodAppRole}, f.shortRole(t, "capped", "2s", "4s"))
		o.Config.Secrets = mappings()[:1]
		s := openOK(t, o)
		time.Sleep(6 * time.Second)
		want := "vault: kiln's token (accessor " + s.Accessor + ") can no longer be renewed (max TTL reached"
		if text := logText(s, log.String); strings.Count(text, want) != 1 {
			t.Errorf("log does not say once that the max TTL was reached:\n%s", text)
		}
		if f.srv.TokenAlive(t, s.Accessor) {
			t.Error("kiln's token outlived its max TTL")
		}
		f.closeAndCheck(t, s, log, true) // Close succeeds: revoking an expired token is a 403
	})
	t.Run("VAULT_TOKEN is not renewed", func(t *testing.T) {
		tok, err := f.srv.Client(t).Auth().Token().Create(&api.TokenCreateRequest{
			Policies: []string{"kiln-read"}, TTL: "1h", Renewable: ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		o, log := f.options(t, Auth{}, map[string]string{"VAULT_TOKEN": tok.Auth.ClientToken})
		s := openOK(t, o)
		if s.renew != nil {
			t.Error("kiln watches the pipeline's token")
		}
		f.closeAndCheck(t, s, log, false)
		if renewed(t, f, tok.Auth.Accessor) {
			t.Error("the pipeline's token was renewed")
		}
		if strings.Contains(log.String(), "renew") {
			t.Errorf("log mentions a renewal:\n%s", log)
		}
	})
}

// TestVaultLeaseWatcher checks the wiring of the lease watchers. The dev server has no
// engine with renewable leases without an outside service (PKI leases are not renewable;
// database, AWS, Consul... need a server), so a renewable lease is simulated by marking
// the PKI certificate's lease renewable: the watcher asks the real Vault to renew it (the
// audit log shows the request), is refused, and says so in one line without failing.
func TestVaultLeaseWatcher(t *testing.T) {
	if testing.Short() {
		t.Skip("the lease watcher test waits for a 2s lease to near its end")
	}
	f := newFixture(t)
	audit := filepath.Join(t.TempDir(), "audit.log")
	err := f.srv.Client(t).Sys().EnableAuditWithOptions("file", &api.EnableAuditOptions{
		Type: "file", Options: map[string]string{"file_path": audit}})
	if err != nil {
		t.Fatal(err)
	}
	o, log := f.options(t, Auth{Method: MethodAppRole}, map[string]string{"VAULT_ROLE_ID": f.roleID, "VAULT_SECRET_ID": f.secID})
	o.Config.Secrets = mappings()[4:5]
	s := openOK(t, o)
	if len(s.leases) != 1 {
		t.Fatalf("leases = %v, want the PKI certificate's", s.leases)
	}
	id := s.leases[0]
	s.keepLeaseAlive(&api.Secret{LeaseID: id, LeaseDuration: 300})                // not renewable: no watcher
	s.keepLeaseAlive(&api.Secret{Renewable: true})                                // no lease: no watcher
	s.keepLeaseAlive(&api.Secret{LeaseID: id, LeaseDuration: 2, Renewable: true}) // renewal refused
	want := "vault: lease " + id + " can no longer be renewed"
	eventually(t, "the refused renewal logged", func() bool { return strings.Contains(logText(s, log.String), want) })
	f.closeAndCheck(t, s, log, true)
	if n := strings.Count(log.String(), "lease "+id); n != 1 {
		t.Errorf("log names lease %s %d times, want once (the refused renewal):\n%s", id, n, log)
	}
	if n := auditedRenewals(t, f, audit, id); n == 0 {
		t.Errorf("no sys/leases/renew request for %s in Vault's audit log", id)
	}
}

// shortRole sets role up with short token TTLs and returns the env to log in with it.
func (f *fixture) shortRole(t *testing.T, role, ttl, maxTTL string) map[string]string {
	t.Helper()
	rid, sid := f.srv.AppRole(t, "approle", role, "kiln-read")
	f.srv.Write(t, "auth/approle/role/"+role, map[string]any{"token_ttl": ttl, "token_max_ttl": maxTTL})
	return map[string]string{"VAULT_ROLE_ID": rid, "VAULT_SECRET_ID": sid}
}

// checkQuietAfterClose checks that no watcher writes to the log once Close returned.
func checkQuietAfterClose(t *testing.T, log interface{ String() string }) {
	t.Helper()
	before := log.String()
	time.Sleep(2 * time.Second) // a watcher left running would renew a 2s TTL by now
	if after := log.String(); after != before {
		t.Errorf("log written after Close:\n%s", strings.TrimPrefix(after, before))
	}
}

// logText reads the log under the session's lock, while watchers may write to it.
func logText(s *Session, read func() string) string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return read()
}

// renewed reports whether Vault says the token was ever renewed.
func renewed(t *testing.T, f *fixture, accessor string) bool {
	t.Helper()
	sec, err := f.srv.Client(t).Auth().Token().LookupAccessor(accessor)
	if err != nil {
		t.Fatal(err)
	}
	return sec.Data["last_renewal_time"] != nil
}

// auditedRenewals counts the sys/leases/renew requests for lease in the audit log file,
// where the lease id is HMAC'd by the audit device.
func auditedRenewals(t *testing.T, f *fixture, file, lease string) int {
	t.Helper()
	c := f.srv.Client(t)
	hash, err := c.Sys().AuditHash("file", lease)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range bytes.Split(b, []byte("\n")) {
		var e struct {
			Type    string
			Request struct {
				Path string
				Data map[string]any
			}
		}
		if json.Unmarshal(line, &e) == nil && e.Type == "request" &&
			e.Request.Path == "sys/leases/renew" && e.Request.Data["lease_id"] == hash {
			n++
		}
	}
	return n
}

func ptr[T any](v T) *T { return &v }
