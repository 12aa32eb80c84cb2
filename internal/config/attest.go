package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
)

// Attest says how kiln-test signs its test attestation and how kiln-promote and
// kiln-rollback verify it: with a Vault transit key, or with a key pair whose private half
// only the test job holds.
type Attest struct {
	// Transit signs (and verifies) with a Vault transit key, through the vault block's login.
	Transit *AttestTransit `yaml:"transit"`
	// PrivateKeyEnv names the variable holding the path of the PEM private key (ed25519 or
	// ECDSA) kiln-test signs with; default KILN_ATTEST_KEY. The key never lives in the repo.
	PrivateKeyEnv string `yaml:"private_key_env"`
	// PublicKey is the PEM public key that verifies attestations, relative to kiln.yaml. With
	// transit it lets promote verify without Vault; without transit it is required.
	PublicKey string `yaml:"public_key"`
}

// AttestTransit names a Vault transit key.
type AttestTransit struct {
	Mount string `yaml:"mount"` // default transit
	Key   string `yaml:"key"`   // required
}

// DefaultAttestKeyEnv is the variable that holds the path of the signing key.
const DefaultAttestKeyEnv = "KILN_ATTEST_KEY"

func (c *Config) validateAttest() error {
	a := c.Attest
	if a == nil {
		return nil
	}
	if !envVarRE.MatchString(a.PrivateKeyEnv) {
		return c.errorf("attest.private_key_env", "attest.private_key_env: %q is not a variable name", a.PrivateKeyEnv)
	}
	if t := a.Transit; t != nil {
		if !mountRE.MatchString(t.Mount) {
			return c.errorf("attest.transit.mount", "attest.transit.mount: %q is not a mount path such as \"transit\"", t.Mount)
		}
		if t.Key == "" {
			return c.required("attest.transit.key")
		}
		if !identRE.MatchString(t.Key) {
			return c.errorf("attest.transit.key", "attest.transit.key: %q is not a key name", t.Key)
		}
		if c.Vault == nil {
			return c.errorf("attest.transit", "attest.transit: needs a vault block to log in with")
		}
		if c.has("attest.private_key_env") {
			return c.errorf("attest.private_key_env", "attest.private_key_env: transit signs; leave it out")
		}
		return nil
	}
	if a.PublicKey == "" {
		return c.errorf("attest", "attest: set transit (a Vault transit key) or public_key (a PEM file; kiln-test signs with the private key whose path is in $%s)", a.PrivateKeyEnv)
	}
	return nil
}

// setDefaults fills the attest block's defaults.
func (a *Attest) setDefaults() {
	def(&a.PrivateKeyEnv, DefaultAttestKeyEnv)
	if a.Transit != nil {
		def(&a.Transit.Mount, "transit")
	}
}

// Digest is "sha256:<hex>" of the test block as kiln runs it (environment and checks, with
// defaults applied): kiln-test records it, and promotion refuses tests run with another one.
func (t Test) Digest() string {
	type check struct {
		Check
		Timeout  string `json:"timeout"`
		Interval string `json:"interval"`
	}
	v := struct {
		Environment string  `json:"environment"`
		Checks      []check `json:"checks"`
	}{Environment: t.Environment}
	for _, c := range t.Checks {
		v.Checks = append(v.Checks, check{Check: c, Timeout: c.Timeout.String(), Interval: c.Interval.String()})
	}
	b, _ := json.Marshal(v) // plain structs, maps with string keys: cannot fail
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ChecksDigest is what kiln-test records and promotion compares: Test.Digest, and for each
// goss check the SHA-256 of its gossfile's content, so that editing a gossfile counts as
// changing the checks. A gossfile that cannot be read counts as empty (kiln-test fails on it).
func (c *Config) ChecksDigest() string {
	d := c.Test.Digest()
	h := sha256.New()
	goss := false
	for _, ch := range c.Test.Checks {
		if ch.Goss == nil {
			continue
		}
		if !goss {
			h.Write([]byte(d))
			goss = true
		}
		data, _ := os.ReadFile(c.Path(ch.Goss.Gossfile))
		sum := sha256.Sum256(data)
		h.Write([]byte("\n" + ch.Name + " " + hex.EncodeToString(sum[:])))
	}
	if !goss {
		return d
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// SameTarget reports whether environments a and b deploy into the same Terraform state:
// the same configuration directory, workspace, backend settings and GitLab state.
func (c *Config) SameTarget(a, b string) bool {
	ea, oka := c.Environments[a]
	eb, okb := c.Environments[b]
	if !oka || !okb {
		return false
	}
	return c.Path(ea.Terraform) == c.Path(eb.Terraform) && ea.Workspace == eb.Workspace &&
		ea.GitLabState == eb.GitLabState && maps.Equal(ea.BackendConfig, eb.BackendConfig)
}

// Exists returns a usage error at the line of key when rel (relative to kiln.yaml) does not
// exist: a missing packer/ or terraform/ directory is a configuration error in every step.
func (c *Config) Exists(key, rel string) error {
	if _, err := os.Stat(c.Path(rel)); err != nil {
		return c.Errorf(key, "%s does not exist (relative to %s)", rel, filepath.Base(c.File))
	}
	return nil
}
