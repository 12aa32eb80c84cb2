package integration

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// form is one way a secret could show: the value, a line of it, an encoding.
type form struct {
	name string // "password (base64)": never the value
	b    []byte
}

// formsOf returns the forms of value that must never be found: the value trimmed, its
// standard and URL base64 (of the value, trimmed, and with the newline `echo | base64`
// adds), those wrapped at 64 and 76 columns, its JSON-escaped forms, a one-line value
// word-wrapped at each of its spaces, and for a multi-line value each line of 16
// characters or more.
func formsOf(name, value string) []form {
	t := strings.TrimSpace(value)
	out := []form{{name, []byte(t)}}
	add := func(kind, s string) {
		if s != t && utf8.RuneCountInString(s) >= 4 {
			out = append(out, form{name + " (" + kind + ")", []byte(s)})
		}
	}
	for _, v := range []string{t, value, t + "\n"} {
		std := base64.StdEncoding.EncodeToString([]byte(v))
		add("base64", std)
		add("base64url", base64.RawURLEncoding.EncodeToString([]byte(v)))
		for _, width := range []int{64, 76} {
			for i := 0; len(std) > width && i < len(std); i += width {
				if chunk := std[i:min(i+width, len(std))]; len(chunk) >= 16 {
					add("wrapped base64", chunk)
				}
			}
		}
	}
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		_ = enc.Encode(t)
		add("JSON", strings.TrimSuffix(strings.TrimSuffix(b.String(), "\n"), `"`)[1:])
	}
	if strings.Contains(t, "\n") {
		for _, l := range strings.Split(t, "\n") {
			if l = strings.TrimSpace(l); len(l) >= 16 {
				add("line", l)
			}
		}
		return out
	}
	for i, c := range t { // word-wrapped once, as Terraform's diagnostics do
		if c == ' ' {
			add("word-wrapped", t[:i]+"\n"+t[i+1:])
		}
	}
	return out
}

// searcher looks for every form of every secret.
type searcher struct {
	forms []form
	hits  []string
}

// newSearcher knows the planted secrets, every JWT given to kiln, the AppRole secret id,
// and what Vault handed out (the tokens of logins, PKI private keys).
func (vw *vaultWorld) newSearcher(t *testing.T) *searcher {
	t.Helper()
	s := &searcher{}
	for _, p := range vw.secrets {
		s.forms = append(s.forms, formsOf(p.name, p.value)...)
	}
	s.forms = append(s.forms, vw.creds(t)...)
	_, keys := vw.issued(t)
	for i, k := range keys {
		s.forms = append(s.forms, formsOf(fmt.Sprintf("PKI private key #%d", i+1), k)...)
	}
	return s
}

// creds returns the forms of the credentials kiln was given or obtained.
func (vw *vaultWorld) creds(t *testing.T) []form {
	t.Helper()
	var out []form
	for i, j := range vw.jwts {
		out = append(out, formsOf(fmt.Sprintf("JWT #%d", i+1), j)...)
		sig := j[strings.LastIndex(j, ".")+1:]
		out = append(out, form{fmt.Sprintf("JWT #%d signature", i+1), []byte(sig)})
	}
	out = append(out, formsOf("AppRole secret id", vw.secretID)...)
	for i, c := range vw.given {
		out = append(out, formsOf(fmt.Sprintf("given credential #%d", i+1), c)...)
	}
	logins, _ := vw.issued(t)
	for _, l := range logins {
		out = append(out, formsOf("token from "+l.path, l.token)...)
	}
	return out
}

// scan records every form found in data, naming where.
func (s *searcher) scan(where string, data []byte) {
	for _, f := range s.forms {
		if i := bytes.Index(data, f.b); i >= 0 {
			ctx := data[max(0, i-40):min(len(data), i+len(f.b)+40)]
			ctx = bytes.ReplaceAll(ctx, f.b, []byte("<"+f.name+">"))
			s.hits = append(s.hits, fmt.Sprintf("%s: %s: ...%q...", where, f.name, ctx))
		}
	}
}

// scanDir scans every file under dir but the paths in except.
func (s *searcher) scanDir(t *testing.T, dir string, except ...string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || slices.Contains(except, p) {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		s.scan("file "+rel, b)
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", dir, err)
	}
}

// scanRun scans what a run printed and every command line seen while it ran; with github
// set, stdout's ::add-mask:: lines (which must carry the values) are left out.
func (s *searcher) scanRun(r watched, github bool) {
	stdout := r.stdout
	if github {
		var keep []string
		for _, l := range strings.Split(stdout, "\n") {
			if !strings.HasPrefix(l, "::add-mask::") {
				keep = append(keep, l)
			}
		}
		stdout = strings.Join(keep, "\n")
	}
	s.scan("stdout", []byte(stdout))
	s.scan("stderr", []byte(r.stderr))
	for a := range r.argv {
		s.scan("argv "+argvName(a), []byte(a))
	}
}

// scanEnviron checks that no child process got kiln's Vault credentials (the JWT, AppRole
// ids, kiln's token): those are kept from Packer and Terraform.
func (s *searcher) scanEnviron(t *testing.T, vw *vaultWorld, r watched) {
	creds := &searcher{forms: vw.creds(t)}
	for e, argv := range r.environ {
		creds.scan(fmt.Sprintf("environment of process %q", argv), []byte(e))
	}
	s.hits = append(s.hits, creds.hits...)
}

func argvName(a string) string {
	name, _, _ := strings.Cut(a, "\x00")
	return filepath.Base(name)
}

// report fails t with every hit.
func (s *searcher) report(t *testing.T, label string) {
	t.Helper()
	if len(s.hits) > 0 {
		t.Errorf("%s: %d leak(s):\n%s", label, len(s.hits), strings.Join(s.hits, "\n"))
	}
}
