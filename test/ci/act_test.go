package ci

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kiln-ci/kiln/internal/secrets/vaulttest"
)

// The GitHub side of the CI tests: nektos/act runs kiln's workflows on the host (no Docker),
// as GitHub's runner would, so action.yml's steps, outputs, masks and step summaries go
// through a GitHub-compatible runner. Nothing can be fetched here: the marketplace actions the
// workflows pin are mapped to the stand-ins in testdata/act-actions (act --local-repository),
// artifacts go through act's own artifact server, and the reusable workflow's
// kiln-ci/kiln@v0.1.0 is a copy of this work tree. KILN_ACT_LOG_DIR=DIR keeps each run's log.

// Pinned marketplace actions of action.yml and the workflows, and their stand-ins.
var actStandIns = map[string]string{
	"actions/setup-go@b7ad1dad31e06c5925ef5d2fc7ad053ef454303e":          "setup-go",
	"actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1":          "checkout",
	"actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f":   "upload-artifact",
	"actions/download-artifact@3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c": "download-artifact",
}

// act runs workflows of one repository with act.
type act struct {
	exe       string
	repo      string            // the git repository the workflows run in
	root      string            // act's home, caches and artifact server
	env       map[string]string // act's environment, which every job inherits
	args      []string          // flags of every run
	artifacts string            // act's artifact server's store
}

// newAct prepares act for repo. repos maps "owner/name" to a local git repository that the
// checkout stand-in clones and --local-repository serves for remote reusable workflows.
func newAct(t *testing.T, repo string, repos map[string]string) *act {
	t.Helper()
	a := &act{exe: tool(t, "act", "KILN_ACT"), repo: repo, root: t.TempDir()}
	a.artifacts = filepath.Join(a.root, "artifacts")
	goEnv := strings.Fields(must(t, repoRoot, nil, "go", "env", "GOROOT", "GOCACHE", "GOMODCACHE"))
	if len(goEnv) != 3 {
		t.Fatalf("go env: %v", goEnv)
	}
	a.env = toolEnv(t, filepath.Join(a.root, "home"))
	a.env["PATH"] = filepath.Join(goEnv[0], "bin") + ":" + a.env["PATH"]
	// The host's Go caches, and no module downloads: the action builds kiln from its source.
	a.env["GOCACHE"], a.env["GOMODCACHE"] = goEnv[1], goEnv[2]
	a.env["GOPROXY"], a.env["GOTOOLCHAIN"] = "off", "local"
	a.env["KILN_ACT_REPOSITORIES"] = filepath.Join(a.root, "repositories")
	// Every process of the run inherits the marker; reap finds what act's host mode leaves.
	a.env["KILN_ACT_RUN"] = randomHex(t, 8)
	t.Cleanup(func() { reap(t, "KILN_ACT_RUN="+a.env["KILN_ACT_RUN"]) })
	a.args = []string{"push", "-P", "ubuntu-24.04=-self-hosted", // every runs-on of the workflows
		"--action-offline-mode", "--no-cache-server", "--use-gitignore=false",
		"--action-cache-path", filepath.Join(a.root, "cache"),
		"--artifact-server-path", a.artifacts, "--artifact-server-addr", "127.0.0.1",
		"--artifact-server-port", strconv.Itoa(freePort(t))}
	for uses, dir := range actStandIns {
		a.args = append(a.args, "--local-repository", uses+"="+filepath.Join(repoRoot, "test", "ci", "testdata", "act-actions", dir))
	}
	for name, dir := range repos {
		link := filepath.Join(a.env["KILN_ACT_REPOSITORIES"], name)
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(dir, link); err != nil {
			t.Fatal(err)
		}
		a.args = append(a.args, "--local-repository", name+"@v0.1.0="+dir)
	}
	return a
}

// run runs one job of a workflow (with the jobs it needs) and returns act's log and exit code.
func (a *act) run(t testing.TB, workflow, job string, extra ...string) (string, int) {
	t.Helper()
	argv := append([]string{a.exe}, a.args...)
	argv = append(argv, "-W", workflow, "-j", job)
	out, code := run(t, a.repo, a.env, append(argv, extra...)...)
	t.Logf("act %s -j %s: exit %d", workflow, job, code)
	if dir := os.Getenv("KILN_ACT_LOG_DIR"); dir != "" { // to read a run that passed
		writeFile(t, filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".log"), out)
	}
	return out, code
}

// kilnSource copies kiln's work tree (the files git tracks or would track) into dir as a new
// git repository whose origin is GitHub's kiln-ci/kiln, tagged v0.1.0 (the reusable
// workflow's default kiln-ref); .tools/bin links to the project's tools, so the self-test's
// `make tools` finds them built. It returns the tagged commit.
func kilnSource(t testing.TB, dir string) string {
	t.Helper()
	files := must(t, repoRoot, nil, "git", "ls-files", "-z", "-co", "--exclude-standard")
	for _, f := range strings.Split(strings.TrimRight(files, "\x00"), "\x00") {
		b, err := os.ReadFile(filepath.Join(repoRoot, f))
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		info, _ := os.Stat(filepath.Join(repoRoot, f))
		writeFile(t, filepath.Join(dir, f), string(b))
		if err := os.Chmod(filepath.Join(dir, f), info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	tools, _ := os.ReadDir(filepath.Join(repoRoot, ".tools", "bin"))
	for _, e := range tools {
		src, dst := filepath.Join(repoRoot, ".tools", "bin", e.Name()), filepath.Join(dir, ".tools", "bin", e.Name())
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(src, dst); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": t.TempDir(),
		"GIT_AUTHOR_NAME": "kiln test", "GIT_AUTHOR_EMAIL": "test@kiln.invalid",
		"GIT_COMMITTER_NAME": "kiln test", "GIT_COMMITTER_EMAIL": "test@kiln.invalid"}
	must(t, dir, env, "git", "init", "-q", "-b", "master")
	must(t, dir, env, "git", "remote", "add", "origin", "https://github.com/kiln-ci/kiln.git")
	must(t, dir, env, "git", "add", "-A")
	must(t, dir, env, "git", "commit", "-q", "-m", "kiln")
	must(t, dir, env, "git", "tag", "v0.1.0")
	return strings.TrimSpace(must(t, dir, env, "git", "rev-parse", "HEAD"))
}

// TestActSelfTest runs the self-test workflow with act: action.yml (uses: ./) validates,
// bakes, deploys to dev, tests, promotes and destroys dev on the fast fixture; the image
// bake outputs is the one promote deploys, and each step's summary is kiln's. A kiln.yaml
// that does not parse fails the job at validate with kiln's one-line error and exit 2; the
// steps after it do not run, except destroy-dev (if: always()).
func TestActSelfTest(t *testing.T) {
	tool(t, "python3", "") // the workflow's dev and prod services
	tool(t, "make", "")
	src := filepath.Join(t.TempDir(), "kiln")
	a := newAct(t, src, nil)
	// The workflow points kiln at the tools it built (make tools) itself.
	delete(a.env, "KILN_TERRAFORM")
	delete(a.env, "KILN_PACKER")
	delete(a.env, "KILN_TOOLS_OFFLINE")
	kilnSource(t, src)

	log, code := a.run(t, ".github/workflows/self-test.yml", "action")
	if code != 0 || !strings.Contains(log, "🏁  Job succeeded") {
		t.Fatalf("self-test: exit %d\n%s", code, log)
	}
	ids := outputs(log, "image-id")
	if len(ids) == 0 || !strings.HasPrefix(ids[0], "local:sha256:") {
		t.Fatalf("no image-id output: %v\n%s", ids, log)
	}
	id := ids[0]
	if !strings.Contains(log, "baked "+id+", promoted "+id+", tests passed") {
		t.Fatalf("the workflow's last step did not see bake's image promoted\n%s", log)
	}
	for _, s := range []string{"validate", "bake", "deploy-dev", "test", "promote", "destroy-dev"} {
		wantSummary(t, log, "#### kiln-"+s+": success")
	}
	wantSummary(t, log, "### kiln-bake\n")
	wantSummary(t, log, "| `image-id` | `"+id+"` |")
	wantSummary(t, log, "` | `"+id+"` | passed |") // the action's own table after kiln-test

	t.Run("bad kiln.yaml", func(t *testing.T) {
		writeFile(t, filepath.Join(src, "test", "integration", "testdata", "fast", "kiln.yaml"), "version: 1\nimage: [\n")
		log, code := a.run(t, ".github/workflows/self-test.yml", "action")
		if code == 0 || !strings.Contains(log, "🏁  Job failed") {
			t.Fatalf("a bad kiln.yaml: exit %d, want a failed job\n%s", code, log)
		}
		line := regexp.MustCompile(`(?m)^.*\| (kiln-validate: error: .*)$`).FindStringSubmatch(log)
		if line == nil || !strings.Contains(line[1], "kiln.yaml") {
			t.Fatalf("no one-line kiln-validate error naming kiln.yaml\n%s", log)
		}
		t.Logf("validate: %s", line[1])
		if !strings.Contains(log, "❌  Failure - Main kiln-validate") || !strings.Contains(log, "] exit status 2\n") {
			t.Fatalf("kiln-validate did not exit 2\n%s", log)
		}
		wantSummary(t, log, "#### kiln-validate: failure")
		wantSummary(t, log, "#### kiln-destroy-dev: failure") // it ran, on the same kiln.yaml
		if strings.Contains(log, "Main kiln-bake") {
			t.Fatalf("bake ran after validate failed\n%s", log)
		}
	})
}

// outputs returns the values act logged for an output name, in order.
func outputs(log, name string) []string {
	var vals []string
	for _, m := range regexp.MustCompile(`(?m)::set-output:: `+regexp.QuoteMeta(name)+`=(.*)$`).FindAllStringSubmatch(log, -1) {
		if m[1] != "" {
			vals = append(vals, m[1])
		}
	}
	return vals
}

// wantSummary fails t unless a step summary act read from $GITHUB_STEP_SUMMARY holds part.
func wantSummary(t testing.TB, log, part string) {
	t.Helper()
	for _, s := range strings.Split(log, "⚙  Summary - ")[1:] {
		if end := strings.Index(s, "\n["); end >= 0 {
			s = s[:end+1]
		}
		if strings.Contains(s, part) {
			return
		}
	}
	t.Fatalf("no step summary holds %q\n%s", part, log)
}

// artifact returns the files of an artifact act's server stores.
func (a *act) artifact(t testing.TB, name string) map[string]string {
	t.Helper()
	zips, _ := filepath.Glob(filepath.Join(a.artifacts, "*", name, name+".zip"))
	if len(zips) != 1 {
		t.Fatalf("artifact %s: %v in act's artifact server", name, zips)
	}
	zr, err := zip.OpenReader(zips[0])
	if err != nil {
		t.Fatalf("artifact %s: %v", name, err)
	}
	defer zr.Close()
	files := map[string]string{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = string(b)
	}
	return files
}

// reap stops the processes a run left running: act's host mode leaves a step's nohup'd
// services behind (GitHub's runner stops them when the job ends). They are the processes
// whose environment holds the run's marker.
func reap(t testing.TB, marker string) {
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		environ, err := os.ReadFile(filepath.Join("/proc", p.Name(), "environ"))
		if err != nil || !bytes.Contains(append([]byte{0}, environ...), []byte("\x00"+marker+"\x00")) {
			continue
		}
		if err := syscall.Kill(pid, syscall.SIGTERM); err == nil {
			t.Logf("stopped process %d left by act", pid)
		}
	}
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// freePort returns a port free on 127.0.0.1 now.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// githubIssuer is the issuer of GitHub Actions' OIDC tokens.
const githubIssuer = "https://token.actions.githubusercontent.com"

// TestActReusableWorkflow runs the README's GitHub snippet with act on a push to master: the
// caller's job calls kiln-ci/kiln's reusable workflow at v0.1.0 (a copy of this work tree),
// whose validate, bake and dev jobs check out kiln at that tag and run action.yml. kiln logs
// in to a real Vault with GitHub's OIDC token (from a fake token service) for a secret,
// masks it, and kiln-test signs its attestation with the attest-key secret. The record
// travels from bake to dev through act's artifact server, the tested record is uploaded, and
// dev is destroyed at the end. (plan-prod and promote run on pull requests and on stable.)
func TestActReusableWorkflow(t *testing.T) {
	kiln := filepath.Join(t.TempDir(), "kiln")
	f := newFixture(t)
	a := newAct(t, f.repo, map[string]string{"kiln-ci/kiln": kiln})
	tag := kilnSource(t, kiln)

	vault := vaulttest.Start(t)
	oidc := newGitHubOIDCFake(t, "kiln/demo", "refs/heads/master")
	secret := "tok-" + randomHex(t, 12)
	vault.KV2(t, "kv", "ci/app", map[string]any{"api_token": secret})
	vault.Policy(t, "kiln", `path "kv/data/ci/*" { capabilities = ["read"] }`)
	vault.EnableAuth(t, "jwt", "jwt")
	vault.Write(t, "auth/jwt/config", map[string]any{
		"jwt_validation_pubkeys": []string{oidc.key.PublicPEM(t)}, "bound_issuer": githubIssuer})
	vault.Write(t, "auth/jwt/role/kiln-ci", map[string]any{"role_type": "jwt", "user_claim": "sub",
		"bound_audiences": []string{"https://vault.example.com"}, "token_policies": []string{"kiln"},
		"bound_claims": map[string]any{"repository": "kiln/demo", "ref": "refs/heads/master"}})
	a.env["ACTIONS_ID_TOKEN_REQUEST_URL"] = oidc.srv.URL + "/token?api-version=2.0"
	a.env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = oidc.requestToken
	a.env["KILN_REGISTRY_PATH"] = f.registry

	pub, priv := attestKeys(t)
	writeFile(t, filepath.Join(f.repo, "keys", "attest.pub"), pub)
	secrets := filepath.Join(a.root, "secrets.env")
	writeFile(t, secrets, "KILN_ATTEST_KEY="+strconv.Quote(priv)+"\n")
	// The address, the role and the audience come from the snippet's inputs: its vault-role
	// (kiln-ci) overrides kiln.yaml's.
	cfg := readFile(t, filepath.Join(f.repo, "kiln.yaml")) + `vault:
  auth: { method: github, role: kiln-yaml-role }
  secrets:
    - { env: APP_API_TOKEN, path: kv/data/ci/app, field: api_token, steps: [validate, bake, deploy-dev, test, destroy-dev] }
attest:
  public_key: keys/attest.pub
`
	writeFile(t, filepath.Join(f.repo, "kiln.yaml"), cfg)
	writeFile(t, filepath.Join(f.repo, ".github", "workflows", "kiln.yml"), githubCaller(t, vault.Addr))
	f.commit(t, "kiln fixture")

	log, code := a.run(t, ".github/workflows/kiln.yml", "kiln", "--secret-file", secrets)
	if code != 0 {
		t.Fatalf("push to master: exit %d\n%s", code, log)
	}
	for _, job := range []string{"validate", "bake", "dev"} {
		if !regexp.MustCompile(`(?m)^\[[^\]]*/` + job + ` *\] 🏁  Job succeeded$`).MatchString(log) {
			t.Fatalf("job %s did not succeed\n%s", job, log)
		}
	}
	if n := strings.Count(log, "checkout stand-in: kiln-ci/kiln@"+tag+" in .kiln-action"); n != 3 {
		t.Fatalf("%d jobs checked out kiln at v0.1.0 (%s), want 3\n%s", n, tag, log)
	}
	for _, job := range []string{"plan-prod", "promote"} {
		if regexp.MustCompile(`(?m)^\[[^\]]*/` + job + ` *\] ⭐ Run`).MatchString(log) {
			t.Fatalf("job %s ran on a push to master\n%s", job, log)
		}
	}
	images := f.images(t)
	if len(images) != 1 {
		t.Fatalf("registry holds %v, want the one baked image", images)
	}
	id := images[0]
	if got := outputs(log, "image-id"); len(got) == 0 || got[0] != id {
		t.Fatalf("bake's image-id output %v, want %s", got, id)
	}

	baked := a.artifact(t, "kiln-bake")
	if dotenvString(baked["kiln.env"])["KILN_IMAGE_ID"] != id || !strings.Contains(baked["kiln-image.json"], `"id": "`+id+`"`) {
		t.Fatalf("kiln-bake artifact does not carry %s: %v", id, baked)
	}
	tested := a.artifact(t, "kiln-record")
	var rec struct {
		Image struct{ ID string }
		Tests *struct {
			Status      string
			Attestation json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(tested["kiln-image.json"]), &rec); err != nil {
		t.Fatalf("kiln-record's kiln-image.json: %v", err)
	}
	if rec.Image.ID != id || rec.Tests == nil || rec.Tests.Status != "passed" || len(rec.Tests.Attestation) == 0 {
		t.Fatalf("the tested record: %s", tested["kiln-image.json"])
	}
	if !strings.Contains(tested["kiln-junit.xml"], `failures="0"`) {
		t.Fatalf("kiln-record's junit report: %q", tested["kiln-junit.xml"])
	}
	if left := f.resources(t, "dev"); len(left) != 0 {
		t.Fatalf("dev state after the dev job: %v", left)
	}
	wantSummary(t, log, "` | `"+id+"` | passed |")

	// Vault: every kiln step logged in with the OIDC token for the snippet's audience, and
	// masked what it read; no secret reached the log or an artifact.
	if n := oidc.served(); n != 5 {
		t.Fatalf("the OIDC token service served %d tokens, want one per kiln step (5)", n)
	}
	logins := strings.Count(log, "with auth/jwt role kiln-ci")
	if logins != 5 {
		t.Fatalf("%d Vault logins with auth/jwt role kiln-ci, want one per kiln step (5)\n%s", logins, log)
	}
	// act logs each ::add-mask:: as "⚙  ***" and masks the value from then on.
	if n := strings.Count(log, "⚙  ***"); n < logins {
		t.Fatalf("%d ::add-mask:: commands for %d steps that read the secret\n%s", n, logins, log)
	}
	leaks := map[string]string{"the Vault secret": secret, "the OIDC request token": oidc.requestToken}
	for i, line := range pemLines(priv) {
		leaks[fmt.Sprintf("line %d of the attest key", i+1)] = line
	}
	for i, jwt := range oidc.issued() {
		leaks[fmt.Sprintf("OIDC token %d", i+1)] = jwt
	}
	for what, leak := range leaks {
		if strings.Contains(log, leak) {
			t.Errorf("%s reached act's log", what)
		}
		for name, files := range map[string]map[string]string{"kiln-bake": baked, "kiln-record": tested} {
			for file, content := range files {
				if strings.Contains(content, leak) {
					t.Errorf("%s reached artifact %s's %s", what, name, file)
				}
			}
		}
	}
}

// githubCaller turns the README's GitHub snippet into the caller workflow of the test: the same
// workflow, with the test's Vault as vault-address.
func githubCaller(t testing.TB, vaultAddr string) string {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(snippet(t, "github")), &doc); err != nil {
		t.Fatalf("github snippet: %v", err)
	}
	jobs, _ := doc["jobs"].(map[string]any)
	job, _ := jobs["kiln"].(map[string]any)
	with, _ := job["with"].(map[string]any)
	if with == nil || !strings.HasPrefix(fmt.Sprint(job["uses"]), "kiln-ci/kiln/.github/workflows/immutable-vm.yml@") {
		t.Fatalf("the github snippet's job kiln does not call the reusable workflow: %v", job)
	}
	with["vault-address"] = vaultAddr
	b, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// githubOIDCFake stands in for GitHub Actions' OIDC token service (hosted, it cannot run here),
// with its documented shapes: GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD with
// "Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" answers {"value": JWT}, a JWT from
// githubIssuer with the claims of a push to repository's ref.
type githubOIDCFake struct {
	srv          *httptest.Server
	key          *vaulttest.JWTKey
	requestToken string
	mu           sync.Mutex
	tokens       []string
}

func newGitHubOIDCFake(t testing.TB, repository, ref string) *githubOIDCFake {
	o := &githubOIDCFake{key: vaulttest.NewJWTKey(t), requestToken: randomHex(t, 16)}
	o.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+o.requestToken {
			http.Error(w, "bad request token", http.StatusUnauthorized)
			return
		}
		aud := r.URL.Query().Get("audience")
		if r.URL.Path != "/token" || aud == "" {
			http.Error(w, "want /token?audience=", http.StatusBadRequest)
			return
		}
		now := time.Now()
		jwt := o.key.Sign(t, map[string]any{"iss": githubIssuer, "aud": aud,
			"sub": "repo:" + repository + ":ref:" + ref, "repository": repository, "ref": ref,
			"event_name": "push", "iat": now.Unix(), "nbf": now.Unix() - 5, "exp": now.Add(5 * time.Minute).Unix()})
		o.mu.Lock()
		o.tokens = append(o.tokens, jwt)
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"value": jwt})
	}))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *githubOIDCFake) served() int { o.mu.Lock(); defer o.mu.Unlock(); return len(o.tokens) }

func (o *githubOIDCFake) issued() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.tokens...)
}

// attestKeys returns a new ed25519 key pair in PEM: the public key and the private key.
func attestKeys(t testing.TB) (string, string) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
}

// pemLines returns the base64 lines of a PEM block: each must stay out of the log.
func pemLines(p string) []string {
	var lines []string
	for _, l := range strings.Split(p, "\n") {
		if l != "" && !strings.HasPrefix(l, "-----") {
			lines = append(lines, l)
		}
	}
	return lines
}

// dotenvString parses kiln.env content.
func dotenvString(s string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}
