package redact

import (
	"bytes"
	"encoding/binary"
	"sort"
)

// pattern is one registered form of a secret.
type pattern struct {
	b       []byte
	bounded bool // shorter than minLen characters: masked only as a token of its own
}

// headLen is the length of the prefix patterns are indexed by.
const headLen = 4

// patternSet is an immutable snapshot of the registered patterns, indexed so that a scan
// looks at each input position once instead of once per pattern.
type patternSet struct {
	pats    []pattern
	heads   map[uint32][]int // first headLen bytes -> patterns at least that long
	filter  [1 << 10]uint64  // bit set of hashed heads, to skip most positions fast
	byFirst [256][]int       // first byte -> patterns, for tails shorter than headLen
	short   []int            // patterns shorter than headLen bytes
	maxLen  int
}

// newPatternSet indexes pats.
func newPatternSet(pats []pattern) *patternSet {
	ps := &patternSet{pats: pats, heads: map[uint32][]int{}}
	for i, p := range pats {
		ps.maxLen = max(ps.maxLen, len(p.b))
		ps.byFirst[p.b[0]] = append(ps.byFirst[p.b[0]], i)
		if len(p.b) < headLen {
			ps.short = append(ps.short, i)
			continue
		}
		k := binary.LittleEndian.Uint32(p.b)
		ps.heads[k] = append(ps.heads[k], i)
		h := hash(k)
		ps.filter[h/64] |= 1 << (h % 64)
	}
	return ps
}

func hash(k uint32) uint32 { return (k * 2654435761) >> 16 }

// candidates returns the patterns whose head is the headLen bytes at b.
func (ps *patternSet) candidates(b []byte) []int {
	k := binary.LittleEndian.Uint32(b)
	if h := hash(k); ps.filter[h/64]&(1<<(h%64)) == 0 {
		return nil
	}
	return ps.heads[k]
}

// span is a half-open byte range [start, end) to mask.
type span struct{ start, end int }

// spans returns the merged ranges of b to mask. prev is the byte before b (-1 for none).
// A bounded pattern that ends b counts as standing alone: a Writer holds such a tail back
// until the next byte is known.
func (ps *patternSet) spans(b []byte, prev int) []span {
	var found []span
	add := func(i int, p pattern) {
		s := span{i, i + len(p.b)}
		if !p.bounded || standsAlone(b, s, p.b, prev) {
			found = append(found, s)
		}
	}
	for i := 0; i+headLen <= len(b); i++ {
		for _, pi := range ps.candidates(b[i:]) {
			if bytes.HasPrefix(b[i:], ps.pats[pi].b) {
				add(i, ps.pats[pi])
			}
		}
	}
	for _, pi := range ps.short {
		p := ps.pats[pi]
		for i := 0; ; {
			j := bytes.Index(b[i:], p.b)
			if j < 0 {
				break
			}
			add(i+j, p)
			i += j + 1
		}
	}
	return merge(found)
}

// standsAlone reports whether the match s of p in b is not glued to a word it is part of.
func standsAlone(b []byte, s span, p []byte, prev int) bool {
	before := prev
	if s.start > 0 {
		before = int(b[s.start-1])
	}
	if before >= 0 && isWord(p[0]) && isWord(byte(before)) {
		return false
	}
	return s.end == len(b) || !isWord(p[len(p)-1]) || !isWord(b[s.end])
}

// isWord reports whether c can be part of a word: an ASCII letter, digit or underscore,
// or a byte of a multi-byte UTF-8 character.
func isWord(c byte) bool {
	return c == '_' || c >= 0x80 || ('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// merge sorts spans and joins the overlapping ones.
func merge(sp []span) []span {
	if len(sp) < 2 {
		return sp
	}
	sort.Slice(sp, func(i, j int) bool { return sp[i].start < sp[j].start })
	out := sp[:1]
	for _, s := range sp[1:] {
		last := &out[len(out)-1]
		if s.start < last.end {
			last.end = max(last.end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

// mask appends b to dst with every span replaced by Mask.
func (ps *patternSet) mask(dst, b []byte, sp []span) []byte {
	at := 0
	for _, s := range sp {
		dst = append(dst, b[at:s.start]...)
		dst = append(dst, Mask...)
		at = s.end
	}
	return append(dst, b[at:]...)
}

// hold returns the length of the longest tail of b that could be the beginning of a
// pattern (or, for a bounded pattern, a whole one whose next byte decides): a stream must
// keep it back.
func (ps *patternSet) hold(b []byte) int {
	for i := max(0, len(b)-ps.maxLen); i < len(b); i++ {
		tail := b[i:]
		cands := ps.byFirst[tail[0]]
		if len(tail) >= headLen {
			cands = ps.candidates(tail)
		}
		for _, pi := range cands {
			p := ps.pats[pi]
			if bytes.HasPrefix(p.b, tail) && (len(p.b) > len(tail) || p.bounded && len(p.b) == len(tail)) {
				return len(tail)
			}
		}
	}
	return 0
}
