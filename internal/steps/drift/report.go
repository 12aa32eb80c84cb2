package drift

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/kiln-ci/kiln/internal/atomicfile"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// Report is what --report writes: every environment checked, in kiln.yaml's order.
type Report struct {
	Environments []Environment `json:"environments"`
}

// Environment is what kiln-drift found in one environment. InSync is true only for an
// environment that was checked and showed nothing; Skipped says why one was not checked,
// Error what stopped its check.
type Environment struct {
	Name        string             `json:"name"`
	Image       string             `json:"image,omitempty"` // the image it should run
	InSync      bool               `json:"in_sync"`
	Changes     []terraform.Change `json:"changes"`
	ImagesFound []string           `json:"images_found"` // the images its state names
	Revoked     []Revocation       `json:"revoked"`      // those of them revoked now
	Skipped     string             `json:"skipped,omitempty"`
	Error       string             `json:"error,omitempty"`

	findings []string // the lines about images: another than Image, a revoked one
}

// Revocation is a revoked image found in an environment's state.
type Revocation struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	By     string    `json:"by,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

func newEnvironment(name string) Environment {
	return Environment{Name: name, Changes: []terraform.Change{}, ImagesFound: []string{}, Revoked: []Revocation{}}
}

// count is the number of differences found: changes and image findings.
func (e *Environment) count() int { return len(e.Changes) + len(e.findings) }

func (e *Environment) drifted() bool { return e.Skipped == "" && e.count() > 0 }

// settle sets InSync once the check is over.
func (e *Environment) settle() { e.InSync = e.Skipped == "" && e.Error == "" && e.count() == 0 }

// lines are the findings, one a line, each starting with the environment's name.
func (e *Environment) lines() []string {
	out := make([]string, 0, e.count())
	for _, c := range e.Changes {
		out = append(out, e.Name+": "+c.String())
	}
	return append(out, e.findings...)
}

// summary is the environment's last line: in sync, drifted, or not checked and why.
func (e *Environment) summary() string {
	switch {
	case e.Skipped != "":
		return e.Name + ": not checked: " + e.Skipped
	case e.Error != "" && e.count() > 0:
		return fmt.Sprintf("%s: drifted (%s), then the check failed: %s", e.Name, plural(e.count(), "change"), e.Error)
	case e.Error != "":
		return e.Name + ": not checked: " + e.Error
	case e.count() > 0:
		return fmt.Sprintf("%s: drifted (%s)", e.Name, plural(e.count(), "change"))
	}
	return e.Name + ": in sync"
}

// write writes the report as indented JSON, atomically.
func (rep Report) write(path string) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(data, '\n'), 0o644)
}
