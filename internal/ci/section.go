package ci

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// A Section brackets one phase of a step (terraform init, plan, apply; packer build) in the
// log: a collapsed section on GitLab, a group on GitHub, a title line elsewhere. Its closing
// line, printed after the section so that it stays visible when the section is collapsed,
// says how long the phase took.
type Section struct {
	w      io.Writer
	style  string
	id     string
	prefix string
	title  string
	now    func() time.Time
	start  time.Time
}

// sectionStyle is how a CI system shows log sections: "gitlab", "github" or "" (plain).
func sectionStyle(p Provider) string {
	switch p.Name() {
	case "gitlab", "github":
		return p.Name()
	}
	return ""
}

// sectionSeq numbers sections: GitLab wants each section name once per job log, and one
// job may run several steps (processes), each with several phases.
var sectionSeq atomic.Int64

// Open starts a section titled title (for example "terraform plan (dev)") in w. prefix
// starts the plain title and closing lines ("kiln-deploy-dev"). now is the clock (nil:
// time.Now).
func Open(p Provider, w io.Writer, prefix, title string, now func() time.Time) *Section {
	if now == nil {
		now = time.Now
	}
	s := &Section{w: w, style: sectionStyle(p), prefix: prefix, title: title, now: now, start: now(),
		id: fmt.Sprintf("kiln_%d_%d_%s", os.Getpid(), sectionSeq.Add(1), sectionName(title))}
	switch s.style {
	case "gitlab":
		// GitLab's section markers: ESC[0K erases the marker's text where the log renders.
		fmt.Fprintf(w, "\x1b[0Ksection_start:%d:%s[collapsed=true]\r\x1b[0K%s: %s\n", s.start.Unix(), s.id, prefix, title)
	case "github":
		fmt.Fprintf(w, "::group::%s: %s\n", prefix, title)
	default:
		fmt.Fprintf(w, "%s: %s ...\n", prefix, title)
	}
	return s
}

// Close ends the section and prints its closing line with the elapsed time; a non-nil err
// says the phase failed (the error itself is reported by the step).
func (s *Section) Close(err error) {
	if s == nil {
		return
	}
	end := s.now()
	switch s.style {
	case "gitlab":
		fmt.Fprintf(s.w, "\x1b[0Ksection_end:%d:%s\r\x1b[0K", end.Unix(), s.id)
	case "github":
		fmt.Fprintln(s.w, "::endgroup::")
	}
	outcome := "done"
	if err != nil {
		outcome = "failed"
	}
	fmt.Fprintf(s.w, "%s: %s %s in %s\n", s.prefix, s.title, outcome, Elapsed(end.Sub(s.start)))
}

// Elapsed formats a duration for people: 0.4s, 12.3s, 2m05s, 1h02m.
func Elapsed(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// sectionName keeps what GitLab allows in a section name: letters, digits, '_', '.', '-'.
func sectionName(title string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-':
			return r
		}
		return '_'
	}, title)
}
