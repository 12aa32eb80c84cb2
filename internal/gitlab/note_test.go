package gitlab

import (
	"context"
	"fmt"
	"github.com/kiln-ci/kiln/internal/promonote"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// TestNoteOnce: the first call posts the note, the second finds its marker and does not;
// the marker is found past the first page of notes, and a system note never counts.
func TestNoteOnce(t *testing.T) {
	w := happy(t)
	ctx := context.Background()
	marker := promonote.Marker("prod", imageID)
	w.fake.AddNote(w.iid, "an older promotion\n"+promonote.Marker("prod", "local:sha256:"+strings.Repeat("99", 32)), false)
	w.fake.AddNote(w.iid, "system note quoting "+marker, true)
	for i := range 130 { // more than one page of notes after it
		w.fake.AddNote(w.iid, fmt.Sprintf("review comment %d", i), false)
	}
	c := w.client(t)
	for run, want := range []bool{true, false, false} {
		posted, err := c.NoteOnce(ctx, w.iid, marker, marker+"\npromoted")
		if err != nil {
			t.Fatal(err)
		}
		if posted != want {
			t.Fatalf("run %d: posted %v, want %v", run+1, posted, want)
		}
	}
	notes := w.fake.Notes(w.iid)
	if n := len(notes); n != 133 {
		t.Fatalf("%d notes, want 133", n)
	}
	if last := notes[len(notes)-1]; last.Body != marker+"\npromoted" {
		t.Fatalf("last note %q", last.Body)
	}
	pages := 0
	for _, r := range w.fake.Requests() {
		if strings.HasPrefix(r, "GET ") && strings.Contains(r, "/notes") && strings.Contains(r, "page=2") {
			pages++
		}
	}
	if pages == 0 {
		t.Fatalf("the notes were not paged through: %v", w.fake.Requests())
	}
}

// TestNoteDenied: GitLab refuses notes to the job token; IsDenied tells that apart.
func TestNoteDenied(t *testing.T) {
	w := happy(t)
	w.fake.AllowJobTokenReads()
	c, err := New(Settings{APIURL: w.fake.URL, Project: "42", Token: w.fake.JobToken, JobToken: true})
	if err != nil {
		t.Fatal(err)
	}
	posted, err := c.NoteOnce(context.Background(), w.iid, promonote.Marker("prod", imageID), "body")
	if posted || !IsDenied(err) || exitcode.Of(err) != exitcode.Usage {
		t.Fatalf("NoteOnce with the job token = %v, %v (exit %d); want denied", posted, err, exitcode.Of(err))
	}
	if len(w.fake.Notes(w.iid)) != 0 {
		t.Fatal("a note was posted")
	}
}

// TestNoteNotRepeated: a note whose POST fails with a server error is not posted again
// by a retry (GitLab may have created it); the error is a plain failure, not a denial.
func TestNoteNotRepeated(t *testing.T) {
	w := happy(t)
	w.fake.Fail("POST /api/v4/projects/42/merge_requests/1/notes", 500)
	_, err := w.client(t).NoteOnce(context.Background(), w.iid, promonote.Marker("prod", imageID), "body")
	if err == nil || IsDenied(err) || exitcode.Of(err) != exitcode.Failed {
		t.Fatalf("NoteOnce = %v (exit %d), want a failure", err, exitcode.Of(err))
	}
	posts := 0
	for _, r := range w.fake.Requests() {
		if strings.HasPrefix(r, "POST ") {
			posts++
		}
	}
	if posts != 1 {
		t.Fatalf("%d POST requests, want 1", posts)
	}
}

func TestNoteBody(t *testing.T) {
	w := happy(t)
	found, err := w.client(t).FindRecord(context.Background(), query(mergeSHA))
	if err != nil {
		t.Fatal(err)
	}
	body := NoteBody(found, "prod", Links{PipelineURL: "https://gitlab.example/acme/web/-/pipelines/7", JobURL: ""})
	for _, want := range []string{
		"<!-- kiln-promotion environment=prod image=" + imageID + " -->\n",
		"**kiln promoted `demo-web-20261121-0a0a0a0a` to `prod`.**",
		"| Image id | `" + imageID + "` |",
		"| Family | `demo-web` |",
		"`" + head + "`, the head of this merge request (merged by merge commit)",
		"2 of 2 checks passed against this image in `dev`, in [job test #1003](" + w.fake.WebURL + "/-/jobs/1003) of [master pipeline #1001](" + w.fake.WebURL + "/-/pipelines/1001)",
		"| Promoted by | [pipeline](https://gitlab.example/acme/web/-/pipelines/7) |",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("note lacks %q:\n%s", want, body)
		}
	}
}
