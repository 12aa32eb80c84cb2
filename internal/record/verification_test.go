package record

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const pkgDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// verified is the sample with a packages digest and a passed verification of prod.
func verified() *Record {
	r := sample()
	r.Image.PackagesDigest = pkgDigest
	r.SetVerification("prod", Verification{
		Status: StatusPassed, Passed: 1, Total: 1, ImageID: r.Image.ID, At: t0.Add(2 * time.Hour), JUnit: "kiln-junit.xml",
		Checks:       []CheckResult{{Name: "immutable", Kind: "immutable", Status: StatusPassed, Attempts: 1, DurationMS: 40}},
		StateLineage: "5f1c0a2e-0000-4000-8000-000000000001", StateSerial: 4, StateDigest: pkgDigest, ChecksDigest: pkgDigest,
	})
	return r
}

// TestOldRecordReads: a record written before packages digests and verifications existed
// still decodes, and encodes to the same bytes and digest.
func TestOldRecordReads(t *testing.T) {
	old, err := os.ReadFile(filepath.Join("testdata", "record.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(old, []byte("packages_digest")) || bytes.Contains(old, []byte("verifications")) {
		t.Fatal("the golden record already has the new fields")
	}
	r, err := Decode(old, "kiln-image.json")
	if err != nil {
		t.Fatal(err)
	}
	digest := r.Digest
	again, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, old) || r.Digest != digest {
		t.Errorf("re-encoded differently (digest %s, was %s):\n%s", r.Digest, digest, again)
	}
}

func TestVerificationRoundTrip(t *testing.T) {
	r := verified()
	data := mustEncode(t, r)
	for _, want := range []string{`"packages_digest": "` + pkgDigest + `"`, `"verifications": {`, `"prod": {`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("encoded record lacks %s:\n%s", want, data)
		}
	}
	got, err := Decode(data, "kiln-image.json")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", got, r)
	}
	if !reflect.DeepEqual(got.Tests, sample().Tests) {
		t.Error("a verification changed the tests section")
	}
}

// TestNewFieldsAreDigested: editing the packages digest or a verification after kiln wrote
// the record is caught like any other edit.
func TestNewFieldsAreDigested(t *testing.T) {
	data := string(mustEncode(t, verified()))
	for _, tc := range []struct{ name, old, new string }{
		{"packages digest", pkgDigest[:20], "sha256:ffffffffffff"},
		{"verification status", `"status": "passed",
      "passed": 1`, `"status": "failed",
      "passed": 1`},
		{"verified environment", `"prod": {`, `"prud": {`},
		{"packages digest removed", `,
    "packages_digest": "` + pkgDigest + `"`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := strings.Replace(data, tc.old, tc.new, 1)
			if edited == data {
				t.Fatalf("%q not in the record:\n%s", tc.old, data)
			}
			_, err := Decode([]byte(edited), "kiln-image.json")
			if err == nil || !strings.Contains(err.Error(), "digest mismatch") {
				t.Errorf("Decode = %v, want a digest mismatch", err)
			}
		})
	}
}

func TestValidateVerifications(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Record)
		want string // "" means valid
	}{
		{"verified", func(*Record) {}, ""},
		{"failed verification", func(r *Record) {
			v := r.Verifications["prod"]
			v.Status, v.Passed, v.Failed = StatusFailed, 0, 1
			r.Verifications["prod"] = v
		}, ""},
		{"malformed packages digest", func(r *Record) { r.Image.PackagesDigest = "sha256:abc" }, `image.packages_digest "sha256:abc" is not sha256:<64 hex digits>`},
		{"upper-case packages digest", func(r *Record) { r.Image.PackagesDigest = strings.ToUpper(pkgDigest) }, "is not sha256:<64 hex digits>"},
		{"no image id", func(r *Record) {
			v := r.Verifications["prod"]
			v.ImageID = ""
			r.Verifications["prod"] = v
		}, `verifications["prod"].image_id is empty`},
		{"odd status", func(r *Record) {
			v := r.Verifications["prod"]
			v.Status = "ok"
			r.Verifications["prod"] = v
		}, `verifications["prod"].status is "ok", want "passed" or "failed"`},
		{"counts", func(r *Record) {
			v := r.Verifications["prod"]
			v.Passed = 2
			r.Verifications["prod"] = v
		}, `verifications["prod"] counts do not add up (passed 2, failed 0, total 1)`},
		{"passed with a failure", func(r *Record) {
			v := r.Verifications["prod"]
			v.Failed, v.Total = 1, 2
			r.Verifications["prod"] = v
		}, `verifications["prod"].status is passed but failed is 1`},
		{"environment with a line break", func(r *Record) { r.SetVerification("prod\nok", r.Verifications["prod"]) },
			`verifications["prod\nok"]: not an environment name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := verified()
			tt.edit(r)
			err := r.Validate()
			if tt.want == "" {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
			if _, err := Decode(sealed(t, r), "kiln-image.json"); err == nil {
				t.Error("Decode accepted it")
			}
		})
	}
}
