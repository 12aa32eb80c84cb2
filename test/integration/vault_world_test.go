package integration

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/kiln-ci/kiln/internal/secrets/vaulttest"
)

// The Vault side of the end-to-end tests: a dev server with the engines, policies and auth
// methods the testdata/vault fixture's kiln.yaml names, secrets of every shape that leaks
// easily, and a raw file audit log, read back to learn what Vault handed out (kiln's
// tokens, the PKI private keys) so the tests can look for those values too.

const (
	gitlabProject = "group/app"
	jwtAudience   = "https://vault.example.com"
)

const kilnPolicy = `
path "kv/data/ci/*" { capabilities = ["read"] }
path "kv1/legacy" { capabilities = ["read"] }
path "pki/issue/kiln" { capabilities = ["update"] }
path "sys/leases/revoke" { capabilities = ["update"] }
`

// planted is a secret stored in Vault for kiln to fetch.
type planted struct {
	name  string // the field, used in failure messages instead of the value
	path  string // where it is stored
	value string
}

// plantSecrets returns secrets of the shapes that leak most easily, random on each run so
// that no fixture text can match one by chance.
func plantSecrets() []planted {
	var pem strings.Builder
	pem.WriteString("-----BEGIN OPENSSH PRIVATE KEY-----\n")
	for range 5 {
		pem.WriteString(randB64(52) + "\n")
	}
	pem.WriteString("-----END OPENSSH PRIVATE KEY-----\n")
	return []planted{
		{"ssh_key", "ci/app", pem.String()},
		{"oauth", "ci/app", `{"client_id":"kiln-` + randHex(4) + `","client_secret":"` + randB64(24) + `","scopes":["read","write"]}`},
		{"password", "ci/app", `pa ss,w0rd$HOME'q\"u ` + randHex(3)},
		{"pin", "ci/app", "~" + randUpper(2) + "%"},
		{"b64", "ci/app", randB64(20)},
		{"trailing", "ci/app", "trail-" + randHex(6) + "\n"},
		{"db_url", "ci/app", "postgres://kiln_app:" + randHex(8) + "@db.internal.example:5432/app?sslmode=require"},
		{"passphrase", "ci/app", passphrase()},
		{"unicode", "ci/app", "pässwörd-秘密-🔑-" + randHex(4)},
		{"inline", "ci/app", "inl" + randHex(8)},
		{"template", "ci/app", "${var.x}%{ if true }$(id)`id`-" + randHex(4)},
		{"access_key", "ci/aws", "AKIA" + randUpper(16)},
		{"secret_key", "ci/aws", randB64(30)},
		{"api_key", "kv1/legacy", "legacy-" + randHex(8)},
	}
}

// passphrase is seven words of eight characters: printed after a 40-character prefix, the
// 102-character line is word-wrapped once inside it by Terraform's diagnostics.
func passphrase() string {
	words := make([]string, 7)
	for i := range words {
		words[i] = randHex(4)
	}
	return strings.Join(words, " ")
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randHex(n int) string { return hex.EncodeToString(randBytes(n)) }
func randB64(n int) string { return base64.StdEncoding.EncodeToString(randBytes(n)) }

func randUpper(n int) string {
	b := randBytes(n)
	for i := range b {
		b[i] = 'A' + b[i]%26
	}
	return string(b)
}

// vaultWorld is a dev server set up for the fixture.
type vaultWorld struct {
	srv      *vaulttest.Server
	key      *vaulttest.JWTKey
	secrets  []planted
	roleID   string // the Jenkins-style AppRole "jenkins"
	secretID string
	audit    string   // the raw audit log
	jwts     []string // every JWT handed to kiln, for the leak search
	given    []string // other credentials handed to kiln (tokens, role ids)
	path     string   // PATH for kiln: shims first
}

// startVault starts a dev server with the fixture's secrets, policy, a jwt role bound to
// the protected master branch of group/app, an AppRole and a PKI role with leases.
func startVault(t *testing.T) *vaultWorld {
	t.Helper()
	srv := vaulttest.Start(t)
	vw := &vaultWorld{srv: srv, key: vaulttest.NewJWTKey(t), secrets: plantSecrets(),
		audit: filepath.Join(t.TempDir(), "audit.log"), path: shims(t) + ":/usr/local/bin:/usr/bin:/bin"}
	err := srv.Client(t).Sys().EnableAuditWithOptions("file", &api.EnableAuditOptions{
		Type: "file", Options: map[string]string{"file_path": vw.audit, "log_raw": "true"}})
	if err != nil {
		t.Fatalf("enable audit log: %v", err)
	}
	kv := map[string]map[string]any{}
	for _, p := range vw.secrets {
		if kv[p.path] == nil {
			kv[p.path] = map[string]any{}
		}
		kv[p.path][p.name] = p.value
	}
	for path, data := range kv {
		if mount, name, _ := strings.Cut(path, "/"); mount == "kv1" {
			srv.KV1(t, mount, name, data)
		} else {
			srv.KV2(t, "kv", path, data)
		}
	}
	srv.PKI(t, "pki", "kiln")
	srv.Policy(t, "kiln-read", kilnPolicy)
	vw.roleID, vw.secretID = srv.AppRole(t, "approle", "jenkins", "kiln-read")
	srv.JWTAuth(t, "jwt", vw.key)
	srv.Write(t, "auth/jwt/role/kiln-ci", map[string]any{
		"role_type":       "jwt",
		"user_claim":      "user_email",
		"bound_audiences": []string{jwtAudience},
		"bound_claims":    map[string]any{"project_path": gitlabProject, "ref_protected": "true"},
		"token_policies":  []string{"kiln-read"},
		"token_ttl":       "10m",
	})
	return vw
}

// shims returns a directory with a git that lingers 100 ms before running the real one, so
// that the /proc watcher surely sees the environment kiln gives the programs it starts by
// name (bake asks git for the repository's URL).
func shims(t *testing.T) string {
	dir := t.TempDir()
	if git, err := exec.LookPath("git"); err == nil {
		writeFile(t, filepath.Join(dir, "git"), "#!/bin/sh\nsleep 0.1\nexec "+git+" \"$@\"\n")
		if err := os.Chmod(filepath.Join(dir, "git"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// jwt returns a GitLab-shaped ID token for a pipeline of group/app on ref.
func (vw *vaultWorld) jwt(t *testing.T, ref string, protected bool) string {
	claims := vaulttest.GitLabClaims(gitlabProject, ref, protected, jwtAudience, time.Now())
	claims["jti"] = randHex(8) // RS256 is deterministic: tokens of the same second would match
	j := vw.key.Sign(t, claims)
	vw.jwts = append(vw.jwts, j)
	return j
}

// env is what a kiln run in w needs to log in with a fresh JWT for the protected master.
func (vw *vaultWorld) env(t *testing.T, w *world, extra map[string]string) map[string]string {
	env := map[string]string{
		"VAULT_ADDR":     vw.srv.Addr,
		"VAULT_ID_TOKEN": vw.jwt(t, "master", true),
		"TMPDIR":         filepath.Join(w.dir, ".tmp"),
		"PATH":           vw.path,
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// secret returns the planted value named name.
func (vw *vaultWorld) secret(name string) string {
	for _, p := range vw.secrets {
		if p.name == name {
			return p.value
		}
	}
	panic("no planted secret " + name)
}

// login is a token Vault issued at a login.
type login struct{ path, token, accessor string }

// issued reads the audit log: the tokens Vault issued at logins and the PKI private keys
// it issued, oldest first.
func (vw *vaultWorld) issued(t *testing.T) (logins []login, pkiKeys []string) {
	t.Helper()
	f, err := os.Open(vw.audit)
	if err != nil {
		t.Fatalf("audit log: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var e struct {
			Type     string                `json:"type"`
			Request  struct{ Path string } `json:"request"`
			Response struct {
				Auth *struct {
					ClientToken string `json:"client_token"`
					Accessor    string `json:"accessor"`
				} `json:"auth"`
				Data map[string]any `json:"data"`
			} `json:"response"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit log line: %v", err)
		}
		switch {
		case e.Type != "response":
		case e.Response.Auth != nil && strings.HasPrefix(e.Request.Path, "auth/") && e.Response.Auth.ClientToken != "":
			logins = append(logins, login{e.Request.Path, e.Response.Auth.ClientToken, e.Response.Auth.Accessor})
		case strings.HasPrefix(e.Request.Path, "pki/issue/"):
			if k, _ := e.Response.Data["private_key"].(string); k != "" {
				pkiKeys = append(pkiKeys, k)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("audit log: %v", err)
	}
	return logins, pkiKeys
}

// newVaultWorld is a world (dev and prod services) with the testdata/vault fixture.
func newVaultWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	copyDir(t, filepath.Join("testdata", "vault"), w.dir)
	cfg := readFile(t, filepath.Join(w.dir, "kiln.yaml"))
	cfg = strings.ReplaceAll(cfg, "${DEV_PORT}", port(t, w.dev))
	cfg = strings.ReplaceAll(cfg, "${PROD_PORT}", port(t, w.prod))
	w.template = cfg
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), cfg)
	if err := os.MkdirAll(filepath.Join(w.dir, ".tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	return w
}

// withAuth returns w's kiln.yaml with another vault.auth block.
func withAuth(w *world, auth string) string {
	return strings.Replace(w.template, "    method: jwt\n    role: kiln-ci\n", auth, 1)
}
