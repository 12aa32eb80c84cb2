package redact

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const pemKey = `-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACBq3V0PbOJ5O1mV2pGv6yq0zR8p0G7ezl5pw1r9fW2tAAAAAJiV6h7elerj
-----END OPENSSH PRIVATE KEY-----
`

func TestString(t *testing.T) {
	jsonBlob := `{"user":"deploy","password":"p@ss w0rd<&>"}`
	tricky := `a,b$c'd\"e f`
	tests := []struct {
		name, secret, in, want string
	}{
		{"plain", "s3cr3tValue", "token=s3cr3tValue;", "token=***;"},
		{"twice", "s3cr3tValue", "s3cr3tValue s3cr3tValue", "*** ***"},
		{"pem whole", pemKey, "key:\n" + pemKey + "done", "key:\n***\ndone"},
		{"pem line", pemKey, "  QyNTUxOQAAACBq3V0PbOJ5O1mV2pGv6yq0zR8p0G7ezl5pw1r9fW2tAAAAAJiV6h7elerj\n", "  ***\n"},
		{"pem json", pemKey, `{"k":` + quoteJSON(pemKey) + `}`, `{"k":"***"}`},
		{"pem go quoted", pemKey, "value=" + strconv.Quote(pemKey), `value="***"`},
		{"json blob", jsonBlob, "x " + jsonBlob + " y", "x *** y"},
		{"json blob escaped", jsonBlob, quoteJSON(jsonBlob), `"***"`},
		{"tricky raw", tricky, "v=" + tricky + ".", "v=***."},
		{"tricky json", tricky, quoteJSON(tricky), `"***"`},
		{"tricky single-quoted", tricky, `export X='a,b$c'\''d\"e f'`, `export X='***'`},
		{"tricky double-quoted", tricky, `X="a,b\$c'd\\\"e f"`, `X="***"`},
		{"tricky url", tricky, "?p=" + url.QueryEscape(tricky), "?p=***"},
		{"base64 std", "hunter2-long", base64.StdEncoding.EncodeToString([]byte("hunter2-long")), "***"},
		{"base64 url raw", "??>>hunter2", base64.RawURLEncoding.EncodeToString([]byte("??>>hunter2")), "***"},
		{"base64 echo", "hunter2-long", base64.StdEncoding.EncodeToString([]byte("hunter2-long\n")), "***"},
		{"base64-looking", "QUJDRA==", "id QUJDRA== end", "id *** end"},
		{"trailing newline", "abcdef\n", "abcdef!", "***!"},
		{"passphrase wrapped", "correct horse battery staple", "Output: x correct horse\nbattery staple\n", "Output: x ***\n"},
		{"trailing newline keeps the line break", "abcdef\n", "v=[abcdef\n]\nnext", "v=[***\n]\nnext"},
		{"surrounding spaces kept", "  abcdef ", "v=  abcdef  .", "v=  ***  ."},
		{"trailing newline base64", "abcdef\n", base64.StdEncoding.EncodeToString([]byte("abcdef\n")), "***"},
		{"short standalone", "on", "turn on now", "turn *** now"},
		{"short inside word", "on", "configuration done", "configuration done"},
		{"short punctuation", "!@", "x!@y", "x***y"},
		{"short at edges", "pw1", "pw1", "***"},
		{"whitespace ignored", "   ", "a   b", "a   b"},
		{"unrelated", "s3cr3tValue", "nothing here", "nothing here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New()
			r.Add(tt.secret)
			if got := r.String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestOverlappingSecrets(t *testing.T) {
	r := New()
	r.Add("abcdef")
	r.Add("defghi")
	if got := r.String("xxabcdefghixx"); got != "xx***xx" {
		t.Errorf("got %q", got)
	}
}

func TestZeroRedactor(t *testing.T) {
	var r Redactor
	if got := r.String("abc"); got != "abc" {
		t.Errorf("empty: %q", got)
	}
	r.Add("secret-one")
	if got := r.String("a secret-one"); got != "a ***" {
		t.Errorf("got %q", got)
	}
}

func TestValues(t *testing.T) {
	r := New()
	r.Add("single\n")
	r.Add("{\n  \"k\": \"value-1\"\n}")
	r.Add("single")
	r.Add("ab")
	want := []string{"single", `"k": "value-1"`, "ab"}
	if got := r.Values(); !slices.Equal(got, want) {
		t.Errorf("Values() = %q, want %q", got, want)
	}
	pem := New()
	pem.Add(pemKey)
	for _, v := range pem.Values() {
		if strings.Contains(v, "\n") {
			t.Errorf("value %q has a newline: ::add-mask:: takes one line", v)
		}
	}
	if n := len(pem.Values()); n != 4 {
		t.Errorf("PEM key: %d values, want its 4 lines", n)
	}
}

func TestConcurrentUse(t *testing.T) {
	r := New()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			secret := fmt.Sprintf("concurrent-secret-%d", i)
			r.Add(secret)
			if got := r.String("x " + secret); got != "x ***" {
				t.Errorf("got %q", got)
			}
			_ = r.Values()
		}()
	}
	wg.Wait()
}

func quoteJSON(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
