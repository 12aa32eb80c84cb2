package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
)

// wholeForms returns the trimmed value and the encodings of the value and of its trimmed
// form. The untrimmed value itself is left out: it holds the trimmed one, and masking the
// whitespace around it too would swallow a line break of the output (a value ending in a
// newline would join the next line to the mask).
func wholeForms(v string) []string {
	t := strings.TrimSpace(v)
	out := append([]string{t}, encodings(t)...)
	if t != v {
		for _, e := range encodings(v) {
			if strings.TrimSpace(e) == e { // base64 and the like: the others hold t's forms
				out = append(out, e)
			}
		}
	}
	if !strings.HasSuffix(v, "\n") { // `echo "$SECRET" | base64` encodes a trailing newline
		out = append(out, base64Forms(v+"\n")...)
	}
	return out
}

// maxWrapSpaces bounds the spaces of a value wrapForms varies (one form per space).
const maxWrapSpaces = 32

// wrapForms returns, for a one-line value with spaces (a passphrase), the value with one of
// its spaces turned into a line break: Terraform word-wraps its diagnostics at 78 columns,
// "Output:" of a failed provisioner included, and would otherwise print a wrapped secret as
// two harmless-looking halves. A value wrapped twice (longer than a line) is not covered.
func wrapForms(v string) []string {
	t := strings.TrimSpace(v)
	n := strings.Count(t, " ")
	if n == 0 || n > maxWrapSpaces || strings.Contains(t, "\n") {
		return nil
	}
	var out []string
	for i := 0; i < len(t); i++ {
		if t[i] == ' ' {
			out = append(out, t[:i]+"\n"+t[i+1:])
		}
	}
	return out
}

// lineForms returns, for a multi-line value, each useful line with its JSON and Go quoted
// forms: tools reformat multi-line values (a PEM key re-indented in a log) line by line.
func lineForms(v string) []string {
	t := strings.TrimSpace(v)
	if !strings.Contains(t, "\n") {
		return nil
	}
	var out []string
	for _, l := range usefulLines(t) {
		out = append(out, l, jsonInner(l, true), jsonInner(l, false), goInner(l, false))
	}
	return out
}

// encodings returns the forms of w that tools print: base64 (std, URL, raw, wrapped),
// JSON strings (with and without HTML escapes), Go %q, URL query and path escapes, and
// shell quoting (inside '...', inside "...", backslash-escaped).
func encodings(w string) []string {
	out := base64Forms(w)
	out = append(out,
		jsonInner(w, true), jsonInner(w, false),
		goInner(w, false), goInner(w, true),
		url.QueryEscape(w), url.PathEscape(w),
		strings.ReplaceAll(w, `'`, `'\''`),
		strings.ReplaceAll(w, `'`, `'"'"'`),
		shellDouble(w),
		shellBackslash(w, "_-./:@%+=,"),
		shellBackslash(w, "_-./:@%+="),
	)
	return out
}

// base64Forms returns the standard, URL, unpadded encodings of w, and the lines of the
// standard encoding wrapped at 64 (PEM) and 76 (base64(1), MIME) columns.
func base64Forms(w string) []string {
	std := base64.StdEncoding.EncodeToString([]byte(w))
	out := []string{
		std,
		base64.URLEncoding.EncodeToString([]byte(w)),
		base64.RawStdEncoding.EncodeToString([]byte(w)),
		base64.RawURLEncoding.EncodeToString([]byte(w)),
	}
	for _, width := range []int{64, 76} {
		if len(std) <= width {
			continue
		}
		for i := 0; i < len(std); i += width {
			if chunk := std[i:min(i+width, len(std))]; len(chunk) >= minLen {
				out = append(out, chunk)
			}
		}
	}
	return out
}

// jsonInner returns w as a JSON string without its quotes.
func jsonInner(w string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(w) // encoding a string cannot fail
	s := strings.TrimSuffix(b.String(), "\n")
	return s[1 : len(s)-1]
}

// goInner returns w as Go's %q (or %+q) prints it, without its quotes.
func goInner(w string, ascii bool) string {
	q := strconv.Quote(w)
	if ascii {
		q = strconv.QuoteToASCII(w)
	}
	return q[1 : len(q)-1]
}

// shellDouble escapes w for the inside of a double-quoted shell string.
func shellDouble(w string) string {
	var b strings.Builder
	for _, c := range w {
		if strings.ContainsRune("\\\"$`", c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// shellBackslash escapes every ASCII character of w that is not a letter, a digit or in
// safe with a backslash, the way bash's printf %q does.
func shellBackslash(w, safe string) string {
	var b strings.Builder
	for _, c := range w {
		if c < 0x80 && !isAlnum(c) && !strings.ContainsRune(safe, c) && c != '\n' {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}
