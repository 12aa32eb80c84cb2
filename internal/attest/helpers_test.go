package attest_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/attest"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// localID is a local image id, which the subject names by its sha256 digest.
const localID = "local:sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// predicate returns a passed predicate about image id.
func predicate(id string) attest.Predicate {
	return attest.Predicate{
		ImageID: id, ImageName: "web-20261130", Family: "web", Environment: "staging",
		StateLineage: "5f1c0a2e-0000-4000-8000-000000000001", StateSerial: 42,
		ChecksDigest: "sha256:" + strings.Repeat("ab", 32), Status: attest.StatusPassed,
		Passed: 2, Failed: 0, Total: 2,
		Results: []attest.Result{
			{Name: "nginx running", Kind: "service", Status: attest.StatusPassed},
			{Name: "port 443", Kind: "port", Status: attest.StatusPassed},
		},
		SourceRepo: "https://gitlab.example.com/infra/web", SourceCommit: strings.Repeat("c", 40),
		PipelineURL: "https://gitlab.example.com/infra/web/-/pipelines/1001",
		BuiltAt:     time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC),
		TestedAt:    time.Date(2026, 11, 30, 10, 20, 0, 0, time.UTC),
	}
}

// writePEM writes one PEM block to dir/name and returns its path.
func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// keyFiles generates a key of kind (ed25519, p256, p256-sec1, p384, p521, rsa) and writes
// its private and public PEM files.
func keyFiles(t *testing.T, kind string) (priv, pub string) {
	t.Helper()
	dir := t.TempDir()
	var key any
	var err error
	switch kind {
	case "ed25519":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case "p256", "p256-sec1":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "p384":
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "p521":
		key, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "rsa":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("unknown key kind %s", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.(interface{ Public() crypto.PublicKey }).Public())
	if err != nil {
		t.Fatal(err)
	}
	if kind == "p256-sec1" {
		der, err := x509.MarshalECPrivateKey(key.(*ecdsa.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		priv = writePEM(t, dir, "key.pem", "EC PRIVATE KEY", der)
	} else {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		priv = writePEM(t, dir, "key.pem", "PRIVATE KEY", der)
	}
	return priv, writePEM(t, dir, "pub.pem", "PUBLIC KEY", pubDER)
}

// loadPair loads the signer and verifier of a key of kind.
func loadPair(t *testing.T, kind string) (attest.Signer, attest.Verifier) {
	t.Helper()
	privPath, pubPath := keyFiles(t, kind)
	s, err := attest.LoadPrivateKey(privPath)
	if err != nil {
		t.Fatal(err)
	}
	v, err := attest.LoadPublicKey(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// payload returns the decoded statement of env as a JSON object.
func payload(t *testing.T, env *attest.Envelope) map[string]any {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// signRaw signs any payload as a DSSE envelope, bypassing attest.Sign's checks.
func signRaw(t *testing.T, s attest.Signer, payloadType string, body []byte) *attest.Envelope {
	t.Helper()
	es, err := dsse.NewEnvelopeSigner(s)
	if err != nil {
		t.Fatal(err)
	}
	env, err := es.SignPayload(context.Background(), payloadType, body)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// resign re-signs the statement of env after edit changed it.
func resign(t *testing.T, s attest.Signer, env *attest.Envelope, edit func(st map[string]any)) *attest.Envelope {
	t.Helper()
	st := payload(t, env)
	edit(st)
	body, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	return signRaw(t, s, env.PayloadType, body)
}

// checkMessage fails t unless err is a one-line error containing want and none of secrets.
func checkMessage(t *testing.T, err error, want string, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	msg := err.Error()
	if !strings.Contains(msg, want) {
		t.Errorf("error %q does not contain %q", msg, want)
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error has several lines: %q", msg)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("error %q contains secret material %q", msg, s)
		}
	}
}
