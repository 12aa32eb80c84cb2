package record

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts re-encodes to a
// file it accepts again, holding an equal record.
func FuzzDecode(f *testing.F) {
	good := mustEncodeF(f, sample())
	f.Add(good)
	f.Add(mustEncodeF(f, minimal()))
	f.Add(mustEncodeF(f, verified()))
	f.Add(good[:len(good)/2])
	f.Add(bytes.Replace(good, []byte(`"family": "demo-web"`), []byte(`"Family": "demo-web"`), 1))
	f.Add([]byte(`{"schema":"kiln.image/v1"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data, "fuzz")
		if err != nil {
			return
		}
		want, _ := Decode(data, "fuzz")
		out, err := r.Encode()
		if err != nil {
			t.Fatalf("accepted record does not encode: %v\n%s", err, data)
		}
		got, err := Decode(out, "fuzz")
		if err != nil {
			t.Fatalf("re-encoded record does not decode: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("record changed through Encode:\ngot  %+v\nwant %+v", got, want)
		}
	})
}

// FuzzEncode checks that every record Encode accepts decodes to an equal record, whatever
// its strings and output values hold.
func FuzzEncode(f *testing.F) {
	f.Add("demo-web-1", "kiln-family", "demo <web> & \u2028", []byte(`{"a": [1, 2.50, "x"]}`))
	f.Add("caf\xe9", "", "", []byte(`null`))
	f.Add("", "k", "v", []byte(`"\u0041"`))
	f.Fuzz(func(t *testing.T, name, key, value string, output []byte) {
		r := sample()
		r.Image.Name = name
		r.Image.Labels[key] = value
		r.Deployments[0].Outputs[key] = Output{Value: output}
		data, err := r.Encode()
		if err != nil {
			return
		}
		got, err := Decode(data, "fuzz")
		if err != nil {
			t.Fatalf("Encode wrote what Decode refuses: %v\n%s", err, data)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("record changed through Encode and Decode:\ngot  %+v\nwant %+v", got, r)
		}
	})
}

// FuzzParseDotenv checks that ParseDotenv never panics and that what it accepts is written
// back byte for byte (modulo a missing final newline) when it is within the limits.
func FuzzParseDotenv(f *testing.F) {
	f.Add([]byte("KILN_IMAGE_ID=local:sha256:ab\nKILN_IMAGE_NAME=app-1\n"))
	f.Add([]byte("A=1\n\nB=2"))
	f.Add([]byte("A=b=c"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDotenv(data, "fuzz")
		if err != nil {
			return
		}
		out, err := d.Bytes()
		if err != nil {
			return // over the limits
		}
		back, err := ParseDotenv(out, "fuzz")
		if err != nil || !reflect.DeepEqual(back.Vars(), d.Vars()) {
			t.Fatalf("written form does not read back: %v\n%q", err, out)
		}
	})
}

func mustEncodeF(f *testing.F, r *Record) []byte {
	b, err := r.Encode()
	if err != nil {
		f.Fatal(err)
	}
	return b
}
