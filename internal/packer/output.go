package packer

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// maxLineBytes bounds the partial-line buffer: a longer line is cut into pieces of this
// size. The cut depends only on the bytes, never on how they were chunked.
const maxLineBytes = 1 << 20

// Output is an io.Writer for Packer's -machine-readable stdout. It writes the human
// messages to a ui writer as they stream and collects the artifacts, the errors and the
// kiln-fact lines of the provisioners (see Facts). It is safe for concurrent use.
type Output struct {
	mu      sync.Mutex
	ui      io.Writer
	uiErr   error
	partial []byte
	scanned int // bytes at the start of partial known to hold no newline
	res     Result
	facts   Facts
	index   map[artifactKey]int
}

// artifactKey identifies one artifact of one build.
type artifactKey struct {
	build string
	index int
}

// NewOutput returns an Output that writes human messages to ui (nil discards them).
func NewOutput(ui io.Writer) *Output {
	if ui == nil {
		ui = io.Discard
	}
	return &Output{ui: ui, index: map[artifactKey]int{}}
}

// Write parses every complete line in p and keeps the rest for the next call. It never
// fails, so the child process is never cut off: an error writing to ui is kept and
// returned by Flush.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.partial = append(o.partial, p...)
	start := 0
	for {
		rest := o.partial[start:]
		window := rest[:min(len(rest), maxLineBytes+1)]
		if i := bytes.IndexByte(window[o.scanned:], '\n'); i >= 0 {
			o.handle(rest[:o.scanned+i])
			start += o.scanned + i + 1
			o.scanned = 0
			continue
		}
		if len(rest) > maxLineBytes {
			o.handle(rest[:maxLineBytes])
			start += maxLineBytes
			o.scanned = 0
			continue
		}
		o.scanned = len(rest)
		break
	}
	n := copy(o.partial, o.partial[start:])
	o.partial = o.partial[:n]
	return len(p), nil
}

// Flush handles a final line that has no newline and returns the first error met while
// writing to ui.
func (o *Output) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.partial) > 0 {
		o.handle(o.partial)
		o.partial = o.partial[:0]
		o.scanned = 0
	}
	if o.uiErr != nil {
		return fmt.Errorf("write packer output: %w", o.uiErr)
	}
	return nil
}

// Close is Flush, so an Output can be closed like any writer.
func (o *Output) Close() error {
	return o.Flush()
}

// Result returns a copy of what the complete lines so far reported.
func (o *Output) Result() Result {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.res
	r.Artifacts = make([]Artifact, len(o.res.Artifacts))
	for i, a := range o.res.Artifacts {
		a.Files = append([]string(nil), a.Files...)
		r.Artifacts[i] = a
	}
	r.Errors = append([]string(nil), o.res.Errors...)
	r.BuildErrors = append([]BuildError(nil), o.res.BuildErrors...)
	return r
}

// Facts returns what the provisioners' kiln-fact lines so far said about the image.
func (o *Output) Facts() Facts {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.facts.copy()
}

// handle parses one line, without its newline; a trailing carriage return is dropped.
func (o *Output) handle(raw []byte) {
	s := strings.TrimSuffix(string(raw), "\r")
	l, ok := ParseLine(s)
	if !ok {
		o.say(s)
		return
	}
	switch l.Type {
	case "ui":
		o.handleUI(l)
	case "artifact":
		o.handleArtifact(l)
	case "error-count":
		if len(l.Data) > 0 {
			if n, err := strconv.Atoi(l.Data[0]); err == nil {
				o.res.ErrorCount = n
			}
		}
	case "error":
		o.res.BuildErrors = append(o.res.BuildErrors, BuildError{Build: l.Target, Message: strings.Join(l.Data, ",")})
	case "version":
		if len(l.Data) > 0 {
			o.res.Version = l.Data[0]
		}
	}
}

// handleUI shows a "ui,say|message|error,TEXT" line and keeps the errors.
func (o *Output) handleUI(l Line) {
	if len(l.Data) == 0 {
		return
	}
	msg := strings.Join(l.Data[1:], ",")
	switch l.Data[0] {
	case "error":
		o.res.Errors = append(o.res.Errors, msg)
	case "message": // a provisioner's standard output, one line or more
		for _, line := range strings.Split(msg, "\n") {
			o.facts.fact(line)
		}
	}
	if l.Target != "" {
		msg = l.Target + ": " + msg
	}
	o.say(msg)
}

// handleArtifact records one "artifact,N,KIND,..." line.
func (o *Output) handleArtifact(l Line) {
	if len(l.Data) < 2 {
		return
	}
	n, err := strconv.Atoi(l.Data[0])
	if err != nil {
		return
	}
	a := o.artifact(l.Target, n)
	value := func(i int) string {
		if i < len(l.Data) {
			return l.Data[i]
		}
		return ""
	}
	switch l.Data[1] {
	case "builder-id":
		a.BuilderID = value(2)
	case "id":
		a.ID = value(2)
	case "string":
		a.String = value(2)
	case "file":
		if f := value(3); f != "" {
			a.Files = append(a.Files, f)
		}
	}
}

// artifact returns the artifact of build with this index, adding it on first sight.
func (o *Output) artifact(build string, n int) *Artifact {
	k := artifactKey{build, n}
	i, ok := o.index[k]
	if !ok {
		i = len(o.res.Artifacts)
		o.index[k] = i
		o.res.Artifacts = append(o.res.Artifacts, Artifact{Build: build, Index: n})
	}
	return &o.res.Artifacts[i]
}

// say writes one message line to ui, keeping the first error.
func (o *Output) say(msg string) {
	if o.uiErr != nil {
		return
	}
	if _, err := io.WriteString(o.ui, msg+"\n"); err != nil {
		o.uiErr = err
	}
}
