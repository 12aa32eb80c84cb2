package vaulttest

import (
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/hashicorp/vault/api"
)

// Write writes data to path as root and fails t on error.
func (s *Server) Write(t testing.TB, path string, data map[string]any) *api.Secret {
	t.Helper()
	sec, err := s.Client(t).Logical().Write(path, data)
	if err != nil {
		t.Fatalf("vaulttest: write %s: %v", path, err)
	}
	return sec
}

// EnableSecrets mounts a secrets engine of type typ at path (options such as
// {"version": "2"} for KV v2).
func (s *Server) EnableSecrets(t testing.TB, path, typ string, options map[string]string) {
	t.Helper()
	err := s.Client(t).Sys().Mount(path, &api.MountInput{Type: typ, Options: options})
	if err != nil {
		t.Fatalf("vaulttest: mount %s at %s: %v", typ, path, err)
	}
}

// EnableAuth enables the auth method typ at path.
func (s *Server) EnableAuth(t testing.TB, path, typ string) {
	t.Helper()
	if err := s.Client(t).Sys().EnableAuthWithOptions(path, &api.EnableAuthOptions{Type: typ}); err != nil {
		t.Fatalf("vaulttest: enable auth %s at %s: %v", typ, path, err)
	}
}

// Policy writes an ACL policy.
func (s *Server) Policy(t testing.TB, name, hcl string) {
	t.Helper()
	if err := s.Client(t).Sys().PutPolicy(name, hcl); err != nil {
		t.Fatalf("vaulttest: policy %s: %v", name, err)
	}
}

// KV2 mounts a KV v2 engine at mount and stores data under name.
func (s *Server) KV2(t testing.TB, mount, name string, data map[string]any) {
	t.Helper()
	if !s.mounted(t, mount) {
		s.EnableSecrets(t, mount, "kv", map[string]string{"version": "2"})
	}
	s.Write(t, mount+"/data/"+name, map[string]any{"data": data})
}

// KV1 mounts a KV v1 engine at mount and stores data under name.
func (s *Server) KV1(t testing.TB, mount, name string, data map[string]any) {
	t.Helper()
	if !s.mounted(t, mount) {
		s.EnableSecrets(t, mount, "kv", map[string]string{"version": "1"})
	}
	s.Write(t, mount+"/"+name, data)
}

func (s *Server) mounted(t testing.TB, mount string) bool {
	t.Helper()
	mounts, err := s.Client(t).Sys().ListMounts()
	if err != nil {
		t.Fatalf("vaulttest: list mounts: %v", err)
	}
	_, ok := mounts[mount+"/"]
	return ok
}

// AppRole enables approle at path (once), creates role with policies and returns its role
// id and a fresh secret id.
func (s *Server) AppRole(t testing.TB, path, role string, policies ...string) (roleID, secretID string) {
	t.Helper()
	auths, err := s.Client(t).Sys().ListAuth()
	if err != nil {
		t.Fatalf("vaulttest: list auth: %v", err)
	}
	if _, ok := auths[path+"/"]; !ok {
		s.EnableAuth(t, path, "approle")
	}
	s.Write(t, "auth/"+path+"/role/"+role, map[string]any{"token_policies": policies, "token_ttl": "10m"})
	rid, err := s.Client(t).Logical().Read("auth/" + path + "/role/" + role + "/role-id")
	if err != nil || rid == nil {
		t.Fatalf("vaulttest: role id of %s: %v", role, err)
	}
	sid := s.Write(t, "auth/"+path+"/role/"+role+"/secret-id", nil)
	return rid.Data["role_id"].(string), sid.Data["secret_id"].(string)
}

// PKI mounts a pki engine at mount with a root CA and a role whose certificates come with
// real, revocable leases (generate_lease): a dynamic secret that needs no outside service.
// kiln fetches it with a write of {"common_name": "<anything>.example.com"} to
// <mount>/issue/<role>.
func (s *Server) PKI(t testing.TB, mount, role string) {
	t.Helper()
	s.EnableSecrets(t, mount, "pki", nil)
	s.Write(t, mount+"/root/generate/internal", map[string]any{"common_name": "kiln test CA", "ttl": "1h"})
	s.Write(t, mount+"/roles/"+role, map[string]any{
		"allowed_domains": "example.com", "allow_subdomains": true,
		"generate_lease": true, "ttl": "10m", "key_type": "ec", "key_bits": 256,
	})
}

// CreateToken creates a token with policies (no default policy unless listed) and returns it.
func (s *Server) CreateToken(t testing.TB, policies ...string) string {
	t.Helper()
	sec, err := s.Client(t).Auth().Token().Create(&api.TokenCreateRequest{
		Policies: policies, NoDefaultPolicy: !slices.Contains(policies, "default"), TTL: "10m",
	})
	if err != nil {
		t.Fatalf("vaulttest: create token: %v", err)
	}
	return sec.Auth.ClientToken
}

// TokenAlive reports whether the token with this accessor still exists.
func (s *Server) TokenAlive(t testing.TB, accessor string) bool {
	t.Helper()
	_, err := s.Client(t).Auth().Token().LookupAccessor(accessor)
	return !gone(t, "token accessor "+accessor, err)
}

// LeaseAlive reports whether the lease still exists.
func (s *Server) LeaseAlive(t testing.TB, leaseID string) bool {
	t.Helper()
	_, err := s.Client(t).Logical().Write("sys/leases/lookup", map[string]any{"lease_id": leaseID})
	return !gone(t, "lease "+leaseID, err)
}

// Leases lists the lease ids under prefix (such as "pki/issue/kiln/").
func (s *Server) Leases(t testing.TB, prefix string) []string {
	t.Helper()
	sec, err := s.Client(t).Logical().List("sys/leases/lookup/" + prefix)
	if err != nil {
		t.Fatalf("vaulttest: list leases %s: %v", prefix, err)
	}
	if sec == nil {
		return nil
	}
	keys, _ := sec.Data["keys"].([]any)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, prefix+k.(string))
	}
	return out
}

// Seal seals the server.
func (s *Server) Seal(t testing.TB) {
	t.Helper()
	if err := s.Client(t).Sys().Seal(); err != nil {
		t.Fatalf("vaulttest: seal: %v", err)
	}
}

// gone reports whether err says the object does not exist (400/403/404), failing t on
// any other error.
func gone(t testing.TB, what string, err error) bool {
	t.Helper()
	if err == nil {
		return false
	}
	var re *api.ResponseError
	if errors.As(err, &re) && (re.StatusCode == http.StatusBadRequest ||
		re.StatusCode == http.StatusForbidden || re.StatusCode == http.StatusNotFound) {
		return true
	}
	t.Fatalf("vaulttest: look up %s: %v", what, err)
	return false
}
