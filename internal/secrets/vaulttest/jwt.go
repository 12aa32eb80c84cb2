package vaulttest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

// Issuer is the issuer of the JWTs a JWTKey signs, GitLab-like.
const Issuer = "https://gitlab.example.com"

// JWTKey signs RS256 JWTs the way a CI system's OIDC provider does.
type JWTKey struct {
	key *rsa.PrivateKey
}

// NewJWTKey generates a 2048-bit RSA key.
func NewJWTKey(t testing.TB) *JWTKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("vaulttest: generate RSA key: %v", err)
	}
	return &JWTKey{key: k}
}

// PublicPEM returns the public key in PEM, as jwt_validation_pubkeys takes it.
func (k *JWTKey) PublicPEM(t testing.TB) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&k.key.PublicKey)
	if err != nil {
		t.Fatalf("vaulttest: marshal public key: %v", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// Sign returns a compact RS256 JWT of claims.
func (k *JWTKey) Sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("vaulttest: marshal JWT part: %v", err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signed := enc(map[string]string{"alg": "RS256", "typ": "JWT"}) + "." + enc(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatalf("vaulttest: sign JWT: %v", err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// GitLabClaims returns the claims of a GitLab CI id_token for a pipeline of project on ref,
// issued now for audience and valid 5 minutes.
func GitLabClaims(project, ref string, protected bool, audience string, now time.Time) map[string]any {
	namespace, _, _ := strings.Cut(project, "/")
	prot := "false"
	if protected {
		prot = "true"
	}
	return map[string]any{
		"iss":             Issuer,
		"aud":             audience,
		"sub":             "project_path:" + project + ":ref_type:branch:ref:" + ref,
		"iat":             now.Unix(),
		"nbf":             now.Unix() - 5,
		"exp":             now.Add(5 * time.Minute).Unix(),
		"namespace_path":  namespace,
		"project_path":    project,
		"project_id":      "42",
		"pipeline_id":     "1001",
		"pipeline_source": "push",
		"job_id":          "5005",
		"ref":             ref,
		"ref_type":        "branch",
		"ref_protected":   prot,
		"user_login":      "ci-user",
		"user_email":      "ci-user@example.com",
	}
}

// JWTAuth enables the jwt auth method at path, trusting key for tokens from Issuer.
func (s *Server) JWTAuth(t testing.TB, path string, key *JWTKey) {
	t.Helper()
	s.EnableAuth(t, path, "jwt")
	s.Write(t, "auth/"+path+"/config", map[string]any{
		"jwt_validation_pubkeys": []string{key.PublicPEM(t)},
		"bound_issuer":           Issuer,
	})
}
