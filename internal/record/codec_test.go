package record

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestEncodeGolden(t *testing.T) {
	got := mustEncode(t, sample())
	golden := filepath.Join("testdata", "record.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Encode differs from %s (run go test -update if the change is meant):\n%s", golden, got)
	}
}

func TestRoundTrip(t *testing.T) {
	for name, r := range map[string]*Record{"sample": sample(), "minimal": minimal()} {
		t.Run(name, func(t *testing.T) {
			data := mustEncode(t, r)
			if !bytes.HasSuffix(data, []byte("}\n")) || !bytes.HasPrefix(data, []byte("{\n  \"schema\"")) {
				t.Errorf("not indented JSON with a trailing newline:\n%s", data)
			}
			got, err := Decode(data, "kiln-image.json")
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, r) {
				t.Errorf("round trip changed the record:\ngot  %+v\nwant %+v", got, r)
			}
			again := mustEncode(t, got)
			if !bytes.Equal(again, data) {
				t.Errorf("second encoding differs:\n%s\n%s", again, data)
			}
		})
	}
}

func TestDecodeAcceptsReindented(t *testing.T) {
	data := mustEncode(t, sample())
	var compact bytes.Buffer
	if err := jsonCompact(&compact, data); err != nil {
		t.Fatal(err)
	}
	tabbed := bytes.ReplaceAll(data, []byte("\n  "), []byte("\n\t"))
	for name, in := range map[string][]byte{"compact": compact.Bytes(), "tabs": tabbed, "crlf": bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))} {
		if _, err := Decode(in, "kiln-image.json"); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestDecodeStrict(t *testing.T) {
	good := mustEncode(t, sample())
	replace := func(old, new string) []byte {
		if !bytes.Contains(good, []byte(old)) {
			t.Fatalf("sample has no %q", old)
		}
		return bytes.Replace(good, []byte(old), []byte(new), 1)
	}
	noTestsImage := sample()
	noTestsImage.Tests.ImageID = ""
	noDeployImage := sample()
	noDeployImage.Deployments[0].ImageID = ""
	noPromoImage := sample()
	noPromoImage.Promotion.ImageID = ""
	noImage := sample()
	noImage.Image.ID = ""
	leaky := sample()
	leaky.Deployments[0].Outputs["token"] = Output{Sensitive: true, Value: []byte(`"hunter2"`)}
	noDigest := sample()
	noDigestData, _ := noDigest.marshal(true)

	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "kiln-image.json: empty file"},
		{"spaces", []byte(" \n"), "kiln-image.json: empty file"},
		{"truncated at 1", good[:1], "kiln-image.json: unexpected end of JSON input at byte 1"},
		{"truncated in a key", good[:7], "unexpected end of JSON input at byte 7"},
		{"truncated in the middle", good[:len(good)/2], "unexpected end of JSON input at byte"},
		{"truncated before the last brace", good[:len(good)-2], "unexpected end of JSON input at byte"},
		{"not JSON", []byte("schema: kiln.image/v1\n"), "invalid character 's' looking for beginning of value at byte 1"},
		{"an array", []byte("[]"), "the record: want an object, found array at byte 1"},
		{"null", []byte("null"), "kiln-image.json: no schema (want kiln.image/v1)"},
		{"wrong type", replace(`"size": 471859200`, `"size": "big"`), "image.artifacts.files.size: want an integer, found string at byte"},
		{"unknown field", replace(`"schema": "kiln.image/v1",`, `"schema": "kiln.image/v1", "colour": "blue",`), `kiln-image.json: unknown field "colour"`},
		{"unknown nested field", replace(`"family": "demo-web",`, `"family": "demo-web", "zone": "a",`), `unknown field "zone"`},
		{"trailing data", append(append([]byte{}, good...), "{}\n"...), "kiln-image.json: unexpected data after the record at byte"},
		{"trailing garbage", append(append([]byte{}, good...), 'x'), "unexpected data after the record"},
		{"wrong schema", replace(`"kiln.image/v1"`, `"kiln.image/v2"`), `kiln-image.json: schema "kiln.image/v2" is not supported (this kiln reads kiln.image/v1)`},
		{"wrong schema with new fields", replace(`"schema": "kiln.image/v1",`, `"schema": "kiln.image/v2", "sbom": {},`), `schema "kiln.image/v2" is not supported`},
		{"no schema", replace(`"schema": "kiln.image/v1",`, ``), "no schema (want kiln.image/v1)"},
		{"edited value", replace(`demo-web-20261121103000-0123abc`, `demo-web-20261121103000-fffffff`), "kiln-image.json: digest mismatch: the record was edited after kiln wrote it"},
		{"edited test status", replace(`"status": "passed",
    "passed": 2`, `"status": "failed",
    "passed": 2`), "digest mismatch"},
		{"digest removed", noDigestData, "kiln-image.json: no digest: kiln did not write this record"},
		{"malformed digest", replace(`"digest": "sha256:`, `"digest": "md5:`), `malformed digest "md5:`},
		{"duplicate key", replace(`"family": "demo-web",`, `"family": "other", "family": "demo-web",`), "not as kiln wrote it near"},
		{"key in other case", replace(`"family": "demo-web",`, `"Family": "demo-web",`), "not as kiln wrote it"},
		{"keys reordered", replace(`"name": "demo-web-20261121103000-0123abc",
    "family": "demo-web",`, `"family": "demo-web",
    "name": "demo-web-20261121103000-0123abc",`), "not as kiln wrote it"},
		{"escaped letter", replace(`"qemu.app"`, `"\u0071emu.app"`), "not as kiln wrote it"},
		{"missing image id", sealed(t, noImage), "kiln-image.json: image.id is empty"},
		{"tests without image id", sealed(t, noTestsImage), "kiln-image.json: tests.image_id is empty"},
		{"deployment without image id", sealed(t, noDeployImage), `kiln-image.json: deployment "dev": image_id is empty`},
		{"promotion without image id", sealed(t, noPromoImage), "kiln-image.json: promotion.image_id is empty"},
		{"sensitive output with a value", sealed(t, leaky), `output "token" is sensitive but carries a value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Decode(tt.data, "kiln-image.json")
			if err == nil {
				t.Fatalf("Decode accepted it: %+v", r)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if code := exitcode.Of(err); code != exitcode.RecordInvalid {
				t.Errorf("exit code %d, want %d", code, exitcode.RecordInvalid)
			}
		})
	}
}

func TestDecodeOtherImageTested(t *testing.T) {
	r := sample()
	r.Tests.ImageID = "local:sha256:other"
	got, err := Decode(mustEncode(t, r), "kiln-image.json")
	if err != nil {
		t.Fatalf("a record whose tests ran against another image must decode: %v", err)
	}
	err = got.TestedOK()
	want := "the tests ran against image local:sha256:other, not image " + r.Image.ID
	if err == nil || err.Error() != want {
		t.Errorf("TestedOK = %v, want %q", err, want)
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kiln-image.json")
	if _, err := Read(path); err == nil || exitcode.Of(err) != exitcode.RecordInvalid ||
		err.Error() != path+": not found (run kiln-bake first or pass --record)" {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "cannot read: is a directory") {
		t.Errorf("directory: %v", err)
	}
	if err := Write(path, sample()); err != nil {
		t.Fatal(err)
	}
	r, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.Image.ID != sample().Image.ID {
		t.Errorf("read image id %q", r.Image.ID)
	}
	data, _ := os.ReadFile(path)
	if err := os.WriteFile(path, data[:120], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Read(path)
	if want := path + ": unexpected end of JSON input at byte 120"; err == nil || err.Error() != want {
		t.Errorf("truncated: %v, want %q", err, want)
	}
}

func TestEncodeRefusesInvalid(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Record)
		want string
	}{
		{"no schema", func(r *Record) { r.Schema = "" }, "invalid record: no schema"},
		{"no image id", func(r *Record) { r.Image.ID = "" }, "invalid record: image.id is empty"},
		{"bad output JSON", func(r *Record) { r.Deployments[0].Outputs["x"] = Output{Value: []byte("{")} }, "encode record"},
		{"invalid UTF-8", func(r *Record) { r.Image.Name = "demo\xff" }, "invalid record: it would not read back"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sample()
			tt.edit(r)
			if _, err := r.Encode(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Encode = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestDecodeCompactsOutputs(t *testing.T) {
	got, err := Decode(mustEncode(t, sample()), "kiln-image.json")
	if err != nil {
		t.Fatal(err)
	}
	if v := string(got.Deployment("dev").Outputs["ports"].Value); v != `{"http":8080,"ssh":[2222]}` {
		t.Errorf("ports = %s", v)
	}
}
