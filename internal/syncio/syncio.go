// Package syncio serialises writes from the goroutines that copy a child tool's stdout and
// stderr (os/exec and terraform-exec use one each) into one log.
package syncio

import (
	"io"
	"sync"
)

// Writer writes to W holding Mu; writers that share Mu never interleave their writes.
type Writer struct {
	Mu *sync.Mutex
	W  io.Writer
}

// New returns a Writer to w with a mutex of its own.
func New(w io.Writer) Writer { return Writer{Mu: &sync.Mutex{}, W: w} }

// Write writes p to W under Mu.
func (w Writer) Write(p []byte) (int, error) {
	w.Mu.Lock()
	defer w.Mu.Unlock()
	return w.W.Write(p)
}
