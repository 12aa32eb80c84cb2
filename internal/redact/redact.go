// Package redact masks secret values in text kiln prints or relays from Packer and
// Terraform. A Redactor learns each secret with Add, together with the forms in which tools
// tend to print it (its lines, base64, JSON, Go, shell and URL escapes, word-wrapped), and
// replaces every occurrence with "***", in whole strings (String) or in a stream (Writer).
package redact

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

// Mask is the text that replaces every secret occurrence.
const Mask = "***"

// minLen is the length (in characters) from which a pattern is masked wherever it occurs.
//
// Shorter patterns would mask everyday words: a secret "on" must not turn "configuration"
// into "c***figuration". So a whole secret value shorter than minLen is still masked, but
// only where it stands as a token of its own: not where a letter, digit or underscore
// touches one of its own letters, digits or underscores (the rule of a regexp \b). Lines
// of a multi-line value that are shorter than minLen, or have no letter or digit (the "{"
// and "}" lines of a JSON blob), are not registered at all: the value as a whole still is.
const minLen = 4

// Redactor masks every registered secret. It is safe for concurrent use; a secret added
// while a Writer streams applies to the text that Writer has not yet emitted.
type Redactor struct {
	mu     sync.Mutex
	seen   map[string]bool // patterns registered so far
	values []string        // what Values returns, in the order secrets were added
	listed map[string]bool
	set    atomic.Pointer[patternSet]
}

// New returns a Redactor that knows no secret yet.
func New() *Redactor {
	r := &Redactor{seen: map[string]bool{}, listed: map[string]bool{}}
	r.set.Store(&patternSet{})
	return r
}

// Add registers secret: its trimmed form, each line of a multi-line value, their encoded
// forms, and a one-line value with spaces wrapped at each of them. Empty and whitespace-only values are ignored: there is
// nothing in them to mask.
func (r *Redactor) Add(secret string) {
	if strings.TrimSpace(secret) == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lazyInit()
	pats := append([]pattern(nil), r.set.Load().pats...)
	forms := append(wholeForms(secret), lineForms(secret)...)
	for _, f := range append(forms, wrapForms(secret)...) {
		if f != "" && !r.seen[f] {
			r.seen[f] = true
			pats = append(pats, pattern{b: []byte(f), bounded: utf8.RuneCountInString(f) < minLen})
		}
	}
	for _, v := range maskValues(secret) {
		if !r.listed[v] {
			r.listed[v] = true
			r.values = append(r.values, v)
		}
	}
	r.set.Store(newPatternSet(pats))
}

// lazyInit lets the zero Redactor work as well as one from New.
func (r *Redactor) lazyInit() {
	if r.seen == nil {
		r.seen, r.listed = map[string]bool{}, map[string]bool{}
	}
	if r.set.Load() == nil {
		r.set.Store(&patternSet{})
	}
}

// String returns s with every occurrence of a registered secret replaced by Mask.
func (r *Redactor) String(s string) string {
	ps := r.patterns()
	if len(ps.pats) == 0 {
		return s
	}
	b := []byte(s)
	return string(ps.mask(nil, b, ps.spans(b, -1)))
}

// Values returns each registered secret and, for a multi-line secret, each of its lines
// instead of the value itself: what a CI system should mask (GitHub's ::add-mask:: takes one
// line). Lines that Add does not register (too short, no letter or digit) are left out.
func (r *Redactor) Values() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.values...)
}

func (r *Redactor) patterns() *patternSet {
	if ps := r.set.Load(); ps != nil {
		return ps
	}
	return &patternSet{}
}

// maskValues is what Values lists for secret.
func maskValues(secret string) []string {
	t := strings.TrimSpace(secret)
	if !strings.Contains(t, "\n") {
		return []string{t}
	}
	return usefulLines(t)
}

// usefulLines returns the trimmed lines of s that are worth masking on their own.
func usefulLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if utf8.RuneCountInString(l) >= minLen && strings.IndexFunc(l, isAlnum) >= 0 {
			out = append(out, l)
		}
	}
	return out
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
