package promonote

import (
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/record"
)

func TestMarker(t *testing.T) {
	for _, tc := range []struct{ env, id, want string }{
		{"prod", "us-east-1:ami-0123", "<!-- kiln-promotion environment=prod image=us-east-1:ami-0123 -->"},
		{"prod", "evil-->id\n", "<!-- kiln-promotion environment=prod image=evilid  -->"},
	} {
		if got := Marker(tc.env, tc.id); got != tc.want {
			t.Errorf("Marker(%q, %q) = %q, want %q", tc.env, tc.id, got, tc.want)
		}
	}
	if m := Marker("prod--> <script>", "id\n"); strings.Count(m, "-->") != 1 || strings.Contains(m, "\n") {
		t.Errorf("marker %q", m)
	}
}

func TestBody(t *testing.T) {
	rec := &record.Record{}
	rec.Image.ID, rec.Image.Name, rec.Image.Family = "local:sha256:ab", "web-1", "web"
	rec.Source.Commit = "c0ffee"
	rec.Tests = &record.Tests{Passed: 2, Total: 2, Environment: "dev", At: time.Now()}
	body := Body(rec, "prod", Note{Request: "merge request", How: "squash", TestedIn: "[job](https://x/j)"})
	for _, want := range []string{
		Marker("prod", "local:sha256:ab") + "\n**kiln promoted `web-1` to `prod`.**\n\n",
		"| Image id | `local:sha256:ab` |",
		"| Source commit | `c0ffee`, the head of this merge request (merged by squash) |",
		"| Tests | 2 of 2 checks passed against this image in `dev`, in [job](https://x/j) |",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "Promoted by") {
		t.Errorf("a note without a promote run has a Promoted by row:\n%s", body)
	}
	if got := Link("run", "https://x/(y)"); got != "run" {
		t.Errorf("Link with a URL Markdown misreads = %q, want the bare text", got)
	}
	if got := Code("a`b\nc"); got != "`a'b c`" {
		t.Errorf("Code = %q", got)
	}
}
