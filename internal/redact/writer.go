package redact

import (
	"errors"
	"io"
	"sync"
)

// Writer returns a WriteCloser that passes what it is given to w with every secret masked,
// even a secret split across Write calls. It keeps back only the tail that could still be
// the beginning of a secret (at most the longest pattern), so ordinary lines reach w as soon
// as they are written; Close flushes that tail. Close does not close w. The returned writer
// is safe for concurrent use.
func (r *Redactor) Writer(w io.Writer) io.WriteCloser {
	return &writer{r: r, w: w, prev: -1}
}

// errClosed is returned by a Write after Close.
var errClosed = errors.New("redact: write after close")

type writer struct {
	r      *Redactor
	w      io.Writer
	mu     sync.Mutex
	buf    []byte // input not yet emitted
	prev   int    // the last input byte emitted, -1 before any
	out    []byte // reused output buffer
	closed bool
}

// Write masks what it can decide now and keeps back the rest.
func (wr *writer) Write(p []byte) (int, error) {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	if wr.closed {
		return 0, errClosed
	}
	wr.buf = append(wr.buf, p...)
	return len(p), wr.emit(false)
}

// Close flushes everything kept back.
func (wr *writer) Close() error {
	wr.mu.Lock()
	defer wr.mu.Unlock()
	if wr.closed {
		return nil
	}
	wr.closed = true
	return wr.emit(true)
}

// emit writes the masked part of buf that no later byte can change (all of it at the end)
// and keeps the rest.
func (wr *writer) emit(final bool) error {
	ps := wr.r.patterns()
	cut := len(wr.buf)
	var sp []span
	if len(ps.pats) > 0 {
		if !final {
			cut -= ps.hold(wr.buf)
		}
		sp = ps.spans(wr.buf, wr.prev)
		sp, cut = before(sp, cut)
	}
	if cut == 0 {
		return nil
	}
	wr.out = ps.mask(wr.out[:0], wr.buf[:cut], sp)
	wr.prev = int(wr.buf[cut-1])
	wr.buf = append(wr.buf[:0], wr.buf[cut:]...)
	_, err := wr.w.Write(wr.out)
	return err
}

// before returns the spans that end at or before cut, moving cut back to the start of a
// span that crosses it (every match starting before cut is complete in the buffer, so
// what lies before the moved cut is final).
func before(sp []span, cut int) ([]span, int) {
	for i, s := range sp {
		if s.end <= cut {
			continue
		}
		if s.start < cut {
			cut = s.start
		}
		return sp[:i], cut
	}
	return sp, cut
}
