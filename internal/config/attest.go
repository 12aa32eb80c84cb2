package config

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
