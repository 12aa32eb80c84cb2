package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
)

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
