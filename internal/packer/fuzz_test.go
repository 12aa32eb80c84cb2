package packer

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// feed writes data to a fresh Output in pieces whose sizes cycle through sizes (each
// size+1 bytes; nil sizes: one piece), flushes it and returns its Result and ui text.
func feed(t *testing.T, data, sizes []byte) (Result, string) {
	var ui bytes.Buffer
	o := NewOutput(&ui)
	for i := 0; len(data) > 0; i++ {
		n := len(data)
		if len(sizes) > 0 {
			n = min(n, int(sizes[i%len(sizes)])+1)
		}
		if k, err := o.Write(data[:n]); err != nil || k != n {
			t.Fatalf("Write = %d, %v; want %d, nil", k, err, n)
		}
		data = data[n:]
	}
	if err := o.Flush(); err != nil {
		t.Fatalf("Flush() = %v", err)
	}
	return o.Result(), ui.String()
}

func FuzzOutput(f *testing.F) {
	seeds := []string{
		"",
		"\n",
		"\r\n\r\n",
		"1700000000,,ui,say,==> file.image: Creating file...\n",
		"1,file.image,artifact,0,builder-id,packer.file\n1,file.image,artifact,0,id,File\n" +
			"1,file.image,artifact,0,file,0,out.txt\n1,file.image,artifact,0,end\n",
		"1,a.b,artifact,0,id,us-east-1:ami-1%!(PACKER_COMMA)us-west-2:ami-2\r\n1,a.b,artifact,1,id,x",
		`1,,ui,error,a\nb%!(PACKER_COMMA)c\r` + "\n1,,error-count,1\n1,q.b,error,boom\n",
		"1,q.b,artifact,-1,file,0,é✓\n1,q.b,artifact,9999999999999999999999,id,x\n",
		"not machine readable\n2024,Jan 5,big news\n1,,version,1.9.4",
		"1,,ui,say,h\xc3\xa9llo \xe2\x9c\x93\n\xff\xfe\n",
		"1,,ui,message,    qemu.demo: kiln-fact packages_digest sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n" +
			"1,,ui,message,kiln-fact packages_digest sha256:ABC\n1,,ui,message,  x: kiln-fact\tkernel 6\\nkiln-fact\n",
	}
	for i, s := range seeds {
		f.Add([]byte(s), []byte{byte(i)})
	}
	f.Add([]byte("1,,ui,say,abc\n1,x.y,artifact,0,id,ami-1\n"), []byte{0, 5, 2, 200})
	captured, _ := filepath.Glob("testdata/*.machine.txt")
	for _, name := range captured {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data, []byte{3, 17, 0})
		}
	}
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		whole, wholeUI := feed(t, data, nil)
		bytewise, bytewiseUI := feed(t, data, []byte{0})
		chunked, chunkedUI := feed(t, data, sizes)
		if !reflect.DeepEqual(whole, bytewise) || wholeUI != bytewiseUI {
			t.Fatalf("one chunk and byte by byte differ:\n%#v %q\n%#v %q", whole, wholeUI, bytewise, bytewiseUI)
		}
		if !reflect.DeepEqual(whole, chunked) || wholeUI != chunkedUI {
			t.Fatalf("one chunk and chunks %v differ:\n%#v %q\n%#v %q", sizes, whole, wholeUI, chunked, chunkedUI)
		}
		facts, bytewiseFacts := feedFacts(data, nil), feedFacts(data, []byte{0})
		if chunkedFacts := feedFacts(data, sizes); !reflect.DeepEqual(facts, bytewiseFacts) || !reflect.DeepEqual(facts, chunkedFacts) {
			t.Fatalf("facts differ by chunking:\n%#v\n%#v\n%#v", facts, bytewiseFacts, chunkedFacts)
		}
		if d := facts.PackagesDigest; d != "" && !packagesDigestRE.MatchString(d) {
			t.Fatalf("packages digest %q", d)
		}
		if len(facts.Warnings) > maxFactWarnings+1 {
			t.Fatalf("%d warnings", len(facts.Warnings))
		}
		for _, a := range whole.Artifacts {
			for _, file := range a.Files {
				if file == "" {
					t.Fatalf("artifact %#v lists an empty file", a)
				}
			}
		}
	})
}

// feedFacts writes data to a fresh Output in pieces as feed does and returns its Facts.
func feedFacts(data, sizes []byte) Facts {
	o := NewOutput(nil)
	for i := 0; len(data) > 0; i++ {
		n := len(data)
		if len(sizes) > 0 {
			n = min(n, int(sizes[i%len(sizes)])+1)
		}
		o.Write(data[:n])
		data = data[n:]
	}
	o.Flush()
	return o.Facts()
}
