package record

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// MaxSize is the largest record Decode accepts, in bytes.
const MaxSize = 8 << 20

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Read reads the record at path and decodes it strictly (see Decode). Every error carries
// exitcode.RecordInvalid and is one line naming the file.
func Read(path string) (*Record, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, exitcode.New(exitcode.RecordInvalid,
			"%s: not found (run kiln-bake first or pass --record)", path)
	}
	if err != nil {
		return nil, exitcode.New(exitcode.RecordInvalid, "%s: cannot read: %w", path, bare(err))
	}
	return Decode(data, path)
}

// Decode decodes a record strictly: unknown fields, trailing data, another schema, a
// compact form other than kiln's own, a digest that does not match, and the failures of
// Validate are errors. name (usually the file's path) starts every error message; every
// error carries exitcode.RecordInvalid.
func Decode(data []byte, name string) (*Record, error) {
	r, err := decode(data)
	if err != nil {
		return nil, exitcode.New(exitcode.RecordInvalid, "%s: %w", name, err)
	}
	return r, nil
}

func decode(data []byte) (*Record, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%d bytes is more than the %d a record may have", len(data), MaxSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty file (run kiln-bake first or pass --record)")
	}
	if err := peekSchema(data); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var r Record
	if err := dec.Decode(&r); err != nil {
		return nil, jsonError(err, len(data))
	}
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return nil, fmt.Errorf("unexpected data after the record at byte %d", len(data)-len(rest))
	}
	if r.Schema != Schema {
		return nil, schemaError(r.Schema)
	}
	compactOutputs(&r)
	if err := checkCanonical(data, &r); err != nil {
		return nil, err
	}
	if err := checkDigest(&r); err != nil {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// Encode validates the record, compacts its output values, sets its Digest and returns the
// file content: indented JSON with a trailing newline. It checks that the result decodes.
func (r *Record) Encode() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("invalid record: %w", err)
	}
	compactOutputs(r)
	d, err := digestOf(r)
	if err != nil {
		return nil, err
	}
	r.Digest = d
	out, err := r.marshal(true)
	if err != nil {
		return nil, err
	}
	// Strings that are not valid UTF-8 would come back altered; refuse to write them.
	if _, err := decode(out); err != nil {
		return nil, fmt.Errorf("invalid record: it would not read back: %w", err)
	}
	return out, nil
}

// marshal encodes r as kiln does everywhere: fields in schema order, map keys sorted, no
// HTML escaping, compact or indented by two spaces, with a trailing newline.
func (r *Record) marshal(indent bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode record: %w", err)
	}
	return buf.Bytes(), nil
}

// digestOf returns "sha256:<hex>" over the compact encoding of r with an empty Digest.
func digestOf(r *Record) (string, error) {
	c := *r
	c.Digest = ""
	b, err := c.marshal(false)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(bytes.TrimSuffix(b, []byte("\n")))
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func checkDigest(r *Record) error {
	switch {
	case r.Digest == "":
		return errors.New("no digest: kiln did not write this record")
	case !digestRE.MatchString(r.Digest):
		return fmt.Errorf("malformed digest %q (want sha256:<64 hex digits>)", r.Digest)
	}
	want, err := digestOf(r)
	if err != nil {
		return err
	}
	if want != r.Digest {
		return errors.New("digest mismatch: the record was edited after kiln wrote it")
	}
	return nil
}

// checkCanonical refuses a record whose compact form is not the one kiln writes, so that
// duplicate keys, keys in other spellings (Go matches them case-insensitively) and other
// escapes cannot make two readers see different records under one digest.
func checkCanonical(data []byte, r *Record) error {
	want, err := r.marshal(false)
	if err != nil {
		return err
	}
	want = bytes.TrimSuffix(want, []byte("\n"))
	var got bytes.Buffer
	if err := json.Compact(&got, data); err != nil {
		return jsonError(err, len(data))
	}
	if bytes.Equal(got.Bytes(), want) {
		return nil
	}
	return fmt.Errorf("not as kiln wrote it near `%s` (duplicate, misspelt or reordered keys, "+
		"or other escapes): the record was edited after kiln wrote it", near(got.Bytes(), want))
}

// near returns a few bytes of got around the first byte where it differs from want.
func near(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from, to := max(i-16, 0), min(i+24, len(got))
	return string(got[from:to])
}

// compactOutputs normalizes output values to their compact form (and an empty value to
// nil), so that a record does not change with the indentation of the file it was read from.
func compactOutputs(r *Record) {
	for _, d := range r.Deployments {
		for k, o := range d.Outputs {
			var b bytes.Buffer
			switch {
			case len(o.Value) == 0:
				o.Value = nil // encoded as no value; decoded as nil
			case json.Compact(&b, o.Value) == nil:
				o.Value = json.RawMessage(b.Bytes())
			}
			d.Outputs[k] = o
		}
	}
}

// peekSchema reports another schema before strict decoding would report its new fields.
func peekSchema(data []byte) error {
	var head struct {
		Schema *string `json:"schema"`
	}
	if json.Unmarshal(data, &head) != nil || head.Schema == nil || *head.Schema == Schema {
		return nil
	}
	return schemaError(*head.Schema)
}
