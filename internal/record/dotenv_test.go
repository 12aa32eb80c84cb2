package record

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

func TestDotenvSet(t *testing.T) {
	tests := []struct {
		key, value string
		want       string // "" means accepted
	}{
		{"KILN_IMAGE_ID", "local:sha256:ab12", ""},
		{"_X9", "", ""},
		{"URL", "http://127.0.0.1:8080/healthz?x=1&y=2#top", ""},
		{"NAME", "two words", ""},
		{"", "v", "dotenv key is empty"},
		{"kiln_image", "v", `dotenv key "kiln_image": must match ^[A-Z_][A-Z0-9_]*$`},
		{"9LIVES", "v", "must match"},
		{"KILN-ID", "v", "must match"},
		{"KILN ID", "v", "must match"},
		{"ÜBER", "v", "must match"},
		{strings.Repeat("K", 256), "v", "longer than 255 bytes"},
		{"K", "a\nb", "dotenv value of K: line break at byte 1 (values are single-line)"},
		{"K", "a\rb", "line break at byte 1"},
		{"K", "a\tb", "control character 0x09 at byte 1"},
		{"K", "a\x7f", "control character 0x7f at byte 1"},
		{"K", "café", "non-ASCII byte 0xc3 at byte 3"},
		{"K", `say "hi"`, `quote '"' at byte 4`},
		{"K", "it's", `quote '\'' at byte 2`},
		{"K", "`id`", "quote '`' at byte 0"},
		{"K", `C:\temp`, "backslash at byte 2 (Jenkins readProperties reads it as an escape)"},
		{"K", "$HOME", `'$' at byte 0 (GitLab expands variables in dotenv values)`},
		{"K", " lead", "leading or trailing spaces (GitLab strips them)"},
		{"K", "trail ", "leading or trailing spaces"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%.20s=%s", tt.key, tt.value), func(t *testing.T) {
			var d Dotenv
			err := d.Set(tt.key, tt.value)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Set = %v", err)
				}
				if v, ok := d.Get(tt.key); !ok || v != tt.value {
					t.Errorf("Get = %q, %v", v, ok)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Set = %v, want %q", err, tt.want)
			}
			if d.Len() != 0 {
				t.Errorf("a refused variable was set: %+v", d.Vars())
			}
		})
	}
}

func TestDotenvOrder(t *testing.T) {
	var d Dotenv
	for _, k := range []string{"KILN_IMAGE_NAME", "A", "KILN_IMAGE_ID", "Z", "KILN_IMAGE_ID"} {
		if err := d.Set(k, strings.ToLower(k)); err != nil {
			t.Fatal(err)
		}
	}
	d.Delete("Z")
	d.Delete("MISSING")
	b, err := d.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if want := "A=a\nKILN_IMAGE_ID=kiln_image_id\nKILN_IMAGE_NAME=kiln_image_name\n"; string(b) != want {
		t.Errorf("Bytes =\n%s\nwant\n%s", b, want)
	}
}

func TestDotenvSetAllIsAllOrNothing(t *testing.T) {
	var d Dotenv
	err := d.SetAll(map[string]string{"A": "1", "B": "$2", "C": "3"})
	if err == nil || d.Len() != 0 {
		t.Errorf("SetAll = %v with %d variables set", err, d.Len())
	}
	if err := d.SetAll(map[string]string{"A": "1", "C": "3"}); err != nil || d.Len() != 2 {
		t.Errorf("SetAll = %v with %d variables set", err, d.Len())
	}
}

func TestDotenvLimits(t *testing.T) {
	var many Dotenv
	for i := range MaxDotenvVars + 1 {
		_ = many.Set(fmt.Sprintf("K%02d", i), "v")
	}
	if _, err := many.Bytes(); err == nil || err.Error() != "21 variables is more than the 20 GitLab accepts by default" {
		t.Errorf("too many: %v", err)
	}
	var big Dotenv
	for i := range 5 {
		_ = big.Set(fmt.Sprintf("K%d", i), strings.Repeat("x", 1100))
	}
	if _, err := big.Bytes(); err == nil || !strings.Contains(err.Error(), "less than 5120 bytes") {
		t.Errorf("too big: %v", err)
	}
}

func TestDotenvFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kiln.env")
	d, err := ReadDotenv(path)
	if err != nil || d.Len() != 0 {
		t.Fatalf("missing file: %+v, %v", d, err)
	}
	if err := d.SetAll(EnvFromRecord(sample())); err != nil {
		t.Fatal(err)
	}
	if err := WriteDotenv(path, d); err != nil {
		t.Fatal(err)
	}
	back, err := ReadDotenv(path)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(back.Vars()) != fmt.Sprint(d.Vars()) {
		t.Errorf("read back %v, wrote %v", back.Vars(), d.Vars())
	}
	old, _ := os.ReadFile(path)
	for i := range MaxDotenvVars {
		_ = back.Set(fmt.Sprintf("X%02d", i), "v")
	}
	if err := WriteDotenv(path, back); err == nil || !strings.HasPrefix(err.Error(), "write "+path+": ") {
		t.Errorf("WriteDotenv over the limit = %v", err)
	}
	intact(t, path, old)
}

func TestParseDotenv(t *testing.T) {
	tests := []struct {
		name, data, want string // want: the error, or "" and the data is valid
	}{
		{"empty", "", ""},
		{"no final newline", "A=1\nB=2", ""},
		{"empty value", "A=\n", ""},
		{"value with =", "A=b=c\n", ""},
		{"only a newline", "\n", "kiln.env:1: empty line (GitLab refuses dotenv files with empty lines)"},
		{"empty line", "A=1\n\nB=2\n", "kiln.env:2: empty line"},
		{"comment", "# kiln\nA=1\n", "kiln.env:1: comment line (GitLab refuses dotenv files with comments)"},
		{"no =", "A=1\nB\n", `kiln.env:2: "B" is not a KEY=value line`},
		{"bad key", "a=1\n", `kiln.env:1: dotenv key "a": must match`},
		{"export prefix", "export A=1\n", `dotenv key "export A"`},
		{"quoted", "A=\"1\"\n", "kiln.env:1: dotenv value of A: quote"},
		{"CRLF", "A=1\r\n", "kiln.env:1: dotenv value of A: line break at byte 1"},
		{"duplicate", "A=1\nA=2\n", "kiln.env:2: A is set twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDotenv([]byte(tt.data), "kiln.env")
			if tt.want == "" {
				if err != nil {
					t.Errorf("ParseDotenv = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseDotenv = %v, want %q", err, tt.want)
			}
			if exitcode.Of(err) != exitcode.RecordInvalid {
				t.Errorf("exit code %d", exitcode.Of(err))
			}
		})
	}
}

func TestEnvFromRecord(t *testing.T) {
	r := minimal()
	r.Image.Name, r.Image.Family, r.Source.Commit = "app-1", "app", "0123abc"
	want := map[string]string{
		"KILN_IMAGE_ID": "us-east-1:ami-0abc", "KILN_IMAGE_NAME": "app-1", "KILN_IMAGE_FAMILY": "app",
		"KILN_SOURCE_SHA": "0123abc", "KILN_BUILT_AT": "2026-11-21T10:30:00Z",
	}
	if got := EnvFromRecord(r); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("without tests and promotion: %v", got)
	}
	r.Tests = &Tests{Status: StatusFailed, ImageID: r.Image.ID}
	r.Promotion = &Promotion{Environment: "prod", ImageID: r.Image.ID}
	want["KILN_TEST_STATUS"], want["KILN_PROMOTED_ENVIRONMENT"] = "failed", "prod"
	if got := EnvFromRecord(r); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("with tests and promotion: %v", got)
	}
}
