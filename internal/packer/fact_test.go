package packer

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// facts feeds in to a fresh Output in chunks of n bytes and returns its Facts.
func facts(t *testing.T, in string, n int) Facts {
	t.Helper()
	o := NewOutput(nil)
	for _, c := range chunks([]byte(in), n) {
		o.Write(c)
	}
	if err := o.Flush(); err != nil {
		t.Fatal(err)
	}
	return o.Facts()
}

func TestFacts(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  Facts
		build string
	}{
		{"none", "1,,ui,say,==> qemu.demo: Provisioning with shell script\n1,,ui,message,    qemu.demo: hello\n", Facts{}, ""},
		{"qemu provisioner line", "1,,ui,message,    qemu.demo: kiln-fact packages_digest " + digestB + "\n",
			Facts{PackagesDigest: digestB, PackagesDigestBuild: "qemu.demo"}, ""},
		{"without the build prefix, CRLF", "1,,ui,message,kiln-fact packages_digest " + digestB + "  \r\n",
			Facts{PackagesDigest: digestB}, ""},
		{"upper-case hex", "1,,ui,message,    qemu.demo: kiln-fact packages_digest " + strings.ToUpper(digestB[7:]) + "\n",
			Facts{Warnings: []string{`ignored a malformed kiln-fact line from qemu.demo: "kiln-fact packages_digest ` + strings.ToUpper(digestB[7:]) +
				`"; want "kiln-fact packages_digest sha256:<64 hex digits>"`}}, ""},
		{"upper-case digest is lowered", "1,,ui,message,    qemu.demo: kiln-fact packages_digest sha256:" + strings.ToUpper(digestB[7:]) + "\n",
			Facts{PackagesDigest: digestB, PackagesDigestBuild: "qemu.demo"}, ""},
		{"the last one wins", "1,,ui,message,    qemu.a: kiln-fact packages_digest " + digestA + "\n" +
			"1,,ui,message,    qemu.b: kiln-fact packages_digest " + digestB + "\n",
			Facts{PackagesDigest: digestB, PackagesDigestBuild: "qemu.b"}, ""},
		{"a malformed line keeps the earlier digest", "1,,ui,message,    qemu.a: kiln-fact packages_digest " + digestA + "\n" +
			"1,,ui,message,    qemu.a: kiln-fact packages_digest sha256:abc\n",
			Facts{PackagesDigest: digestA, PackagesDigestBuild: "qemu.a", Warnings: []string{
				`ignored a malformed kiln-fact line from qemu.a: "kiln-fact packages_digest sha256:abc"; want "kiln-fact packages_digest sha256:<64 hex digits>"`}}, ""},
		{"extra words", "1,,ui,message,kiln-fact packages_digest " + digestA + " extra\n",
			Facts{Warnings: []string{`ignored a malformed kiln-fact line: "kiln-fact packages_digest ` + digestA + ` extra"; want "kiln-fact packages_digest sha256:<64 hex digits>"`}}, ""},
		{"no name", "1,,ui,message,    file.x: kiln-fact\n", Facts{Warnings: []string{"ignored a kiln-fact line from file.x without a fact name"}}, ""},
		{"unknown fact", "1,,ui,message,    file.x: kiln-fact kernel 6.1\n", Facts{Warnings: []string{`ignored kiln-fact "kernel" from file.x: kiln knows only packages_digest`}}, ""},
		{"several lines in one message", `1,,ui,message,    file.x: starting\n    file.x: kiln-fact packages_digest ` + digestA + "\n",
			Facts{PackagesDigest: digestA, PackagesDigestBuild: "file.x"}, ""},
		{"standard error is no fact", "1,,ui,error,==> file.x: kiln-fact packages_digest " + digestA + "\n", Facts{}, ""},
		{"Packer's own messages are no fact", "1,,ui,say,==> file.x: kiln-fact packages_digest " + digestA + "\n", Facts{}, ""},
		{"mid-line is no fact", "1,,ui,message,    file.x: + echo kiln-fact packages_digest " + digestA + "\n", Facts{}, ""},
		{"kiln-facts is another word", "1,,ui,message,kiln-facts packages_digest " + digestA + "\n", Facts{}, ""},
		{"a plain line is no fact", "kiln-fact packages_digest " + digestA + "\n", Facts{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, n := range []int{0, 1, 5, 64} {
				got := facts(t, tt.in, n)
				if len(got.Warnings) == 0 {
					got.Warnings = nil
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("chunk %d: Facts =\n%#v\nwant\n%#v", n, got, tt.want)
				}
			}
		})
	}
}

// TestFactsWarningsBounded: a template printing many bad lines gets a bounded list.
func TestFactsWarningsBounded(t *testing.T) {
	in := strings.Repeat("1,,ui,message,kiln-fact nope\n", 25)
	got := facts(t, in, 0)
	if len(got.Warnings) != maxFactWarnings+1 || got.Warnings[maxFactWarnings] != "ignored 15 more malformed kiln-fact lines" {
		t.Errorf("warnings %q", got.Warnings)
	}
	o := NewOutput(nil)
	o.Write([]byte(in))
	if a, b := o.Facts(), o.Facts(); !reflect.DeepEqual(a, b) {
		t.Errorf("Facts changed between calls: %q then %q", a.Warnings, b.Warnings)
	}
}

// TestFactsCaptured reads the kiln-fact lines of a real Packer run (testdata/README.md):
// the last well-formed digest on standard output wins, and the run's ui text is unchanged.
func TestFactsCaptured(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "file-kiln-fact.machine.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var ui bytes.Buffer
	o := NewOutput(&ui)
	o.Write(data)
	o.Flush()
	got := o.Facts()
	want := Facts{
		PackagesDigest:      "sha256:858af929b667134f1ad292bff3aec1cfbcadb83b7bf5b90cedbbfacd58c54080", // printf 'a 1 all\nb 2 amd64\n' | sha256sum
		PackagesDigestBuild: "file.image",
		Warnings: []string{
			`ignored a malformed kiln-fact line from file.image: "kiln-fact packages_digest sha256:tooshort"; want "kiln-fact packages_digest sha256:<64 hex digits>"`,
			`ignored kiln-fact "kernel" from file.image: kiln knows only packages_digest`,
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Facts =\n%#v\nwant\n%#v", got, want)
	}
	if !strings.Contains(ui.String(), "    file.image: kiln-fact packages_digest "+want.PackagesDigest+"\n") {
		t.Errorf("the fact line is not in the ui text:\n%s", ui.String())
	}
}
