package github

import (
	"context"
	"fmt"
	"github.com/kiln-ci/kiln/internal/promonote"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// TestCommentOnce: the first call posts the comment, the next ones find its marker (past
// the first page of comments) and do not; a marker of another image does not count.
func TestCommentOnce(t *testing.T) {
	w := happy(t)
	ctx := context.Background()
	marker := promonote.Marker("prod", imageID)
	w.fake.AddComment(w.number, "an older promotion\n"+promonote.Marker("prod", "local:sha256:"+strings.Repeat("99", 32)))
	for i := range 130 { // more than one page of comments after it
		w.fake.AddComment(w.number, fmt.Sprintf("review comment %d", i))
	}
	c := w.client(t)
	for run, want := range []bool{true, false, false} {
		posted, err := c.CommentOnce(ctx, w.number, marker, marker+"\npromoted")
		if err != nil {
			t.Fatal(err)
		}
		if posted != want {
			t.Fatalf("run %d: posted %v, want %v", run+1, posted, want)
		}
	}
	comments := w.fake.Comments(w.number)
	if n := len(comments); n != 132 {
		t.Fatalf("%d comments, want 132", n)
	}
	if last := comments[len(comments)-1]; last.Body != marker+"\npromoted" {
		t.Fatalf("last comment %q", last.Body)
	}
	pages := 0
	for _, r := range w.fake.Requests() {
		if strings.HasPrefix(r, "GET ") && strings.Contains(r, "/comments") && strings.Contains(r, "page=2") {
			pages++
		}
	}
	if pages == 0 {
		t.Fatalf("the comments were not paged through: %v", w.fake.Requests())
	}
}

// TestCommentDenied: a token that may read but not comment (a GITHUB_TOKEN without
// pull-requests: write) is IsDenied, exit 2, and posts nothing.
func TestCommentDenied(t *testing.T) {
	w := happy(t)
	c := clientWith(t, w.fake, w.fake.ReadToken, true)
	posted, err := c.CommentOnce(context.Background(), w.number, promonote.Marker("prod", imageID), "body")
	if posted || !IsDenied(err) || exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), "Resource not accessible by integration") {
		t.Fatalf("posted %v, err %v", posted, err)
	}
	if n := len(w.fake.Comments(w.number)); n != 0 {
		t.Fatalf("%d comments", n)
	}
}

// TestCommentBody: the comment carries the marker, the image, the commit, how it was
// merged, and links to the test job, its run and the promote run.
func TestCommentBody(t *testing.T) {
	w := happy(t)
	found, err := w.client(t).FindRecord(context.Background(), w.q)
	if err != nil {
		t.Fatal(err)
	}
	body := CommentBody(found, "prod", "https://github.example/acme/web/actions/runs/7")
	for _, want := range []string{
		promonote.Marker("prod", imageID) + "\n**kiln promoted `demo-web-20261121-0a0a0a0a` to `prod`.**",
		"| Image id | `" + imageID + "` |",
		"`" + head + "`, the head of this pull request (merged by merge, squash or rebase)",
		"2 of 2 checks passed against this image in `dev`, in [job `kiln / dev`](" + w.fake.ServerURL + "/acme/web/actions/runs/1001/job/1004)",
		"[master run 1001](" + w.fake.ServerURL + "/acme/web/actions/runs/1001)",
		"| Promoted by | [run](https://github.example/acme/web/actions/runs/7) |",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("comment lacks %q:\n%s", want, body)
		}
	}
}
