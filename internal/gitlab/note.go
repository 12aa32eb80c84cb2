package gitlab

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// Marker is the hidden line (an HTML comment, invisible in the rendered note) that marks
// the note of the promotion of image imageID to environment env, so that a second run
// finds it and does not note the promotion again.
func Marker(env, imageID string) string {
	return "<!-- kiln-promotion environment=" + commentSafe(env) + " image=" + commentSafe(imageID) + " -->"
}

// commentSafe keeps s from ending the HTML comment it is written in.
func commentSafe(s string) string {
	return strings.NewReplacer("--", "", ">", "", "\n", " ", "\r", " ").Replace(s)
}

// Links are the promote job's own pipeline and job, for the note.
type Links struct {
	PipelineURL string // CI_PIPELINE_URL
	JobURL      string // CI_JOB_URL
}

// NoteBody is the Markdown note kiln posts on the merge request once f's image is
// promoted to env: the marker, the image's id, name and family, the source commit, the
// test job and pipeline that passed it, and the promote pipeline.
func NoteBody(f *Found, env string, by Links) string {
	rec, mr := f.Record, f.MergeRequest
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n**kiln promoted %s to %s.**\n\n", Marker(env, rec.Image.ID), code(rec.Image.Name), code(env))
	b.WriteString("| | |\n|---|---|\n")
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, v) }
	row("Image id", code(rec.Image.ID))
	row("Image name", code(rec.Image.Name))
	row("Family", code(rec.Image.Family))
	row("Source commit", fmt.Sprintf("%s, the head of this merge request (merged by %s)", code(rec.Source.Commit), mr.How))
	if t := rec.Tests; t != nil {
		row("Tests", fmt.Sprintf("%d of %d checks passed against this image in %s, in %s of %s",
			t.Passed, t.Total, code(t.Environment), link(fmt.Sprintf("job %s #%d", f.Job.Name, f.Job.ID), f.Job.WebURL),
			link(fmt.Sprintf("%s pipeline #%d", f.Pipeline.Ref, f.Pipeline.ID), f.Pipeline.WebURL)))
	}
	var links []string
	if by.PipelineURL != "" {
		links = append(links, link("pipeline", by.PipelineURL))
	}
	if by.JobURL != "" {
		links = append(links, link("job", by.JobURL))
	}
	if len(links) > 0 {
		row("Promoted by", strings.Join(links, ", "))
	}
	return b.String()
}

// NoteOnce posts body on merge request iid unless one of its notes already holds marker;
// it reports whether it posted. IsDenied tells a token GitLab does not let post (as most
// GitLab versions do not let CI_JOB_TOKEN) from other failures.
func (c *Client) NoteOnce(ctx context.Context, iid int64, marker, body string) (bool, error) {
	opt := &gl.ListMergeRequestNotesOptions{ListOptions: gl.ListOptions{PerPage: 100}}
	notes, resp, err := collect(func(p gl.PaginationOptionFunc) ([]*gl.Note, *gl.Response, error) {
		return c.api.Notes.ListMergeRequestNotes(c.project, iid, opt, gl.WithContext(ctx), p)
	})
	if err != nil {
		return false, c.fail(fmt.Sprintf("list the notes of merge request !%d", iid), resp, err)
	}
	for _, n := range notes {
		if !n.System && strings.Contains(n.Body, marker) {
			return false, nil
		}
	}
	_, resp, err = c.api.Notes.CreateMergeRequestNote(c.project, iid,
		&gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, gl.WithContext(ctx), gl.WithRequestRetry(onlyUnprocessed))
	if err != nil {
		return false, c.fail(fmt.Sprintf("note the promotion on merge request !%d", iid), resp, err)
	}
	return true, nil
}

// onlyUnprocessed retries a request only when GitLab says it did not process it (429), so
// that a note that was created before a 5xx answer is not posted twice.
func onlyUnprocessed(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	return err == nil && resp != nil && resp.StatusCode == http.StatusTooManyRequests, nil
}

// code formats s as inline Markdown code.
func code(s string) string {
	return "`" + strings.ReplaceAll(strings.ReplaceAll(s, "`", "'"), "\n", " ") + "`"
}

// link formats a Markdown link, or the bare text when there is no URL.
func link(text, url string) string {
	if url == "" || strings.ContainsAny(url, " ()\n") {
		return text
	}
	return "[" + text + "](" + url + ")"
}
