package gitlab

import (
	"context"
	"fmt"
	"github.com/kiln-ci/kiln/internal/promonote"
	"net/http"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// Links are the promote job's own pipeline and job, for the note.
type Links struct {
	PipelineURL string // CI_PIPELINE_URL
	JobURL      string // CI_JOB_URL
}

// NoteBody is the Markdown note kiln posts on the merge request once f's image is
// promoted to env: the marker, the image's id, name and family, the source commit, the
// test job and pipeline that passed it, and the promote pipeline.
func NoteBody(f *Found, env string, by Links) string {
	note := promonote.Note{Request: "merge request", How: f.MergeRequest.How,
		TestedIn: promonote.Link(fmt.Sprintf("job %s #%d", f.Job.Name, f.Job.ID), f.Job.WebURL) + " of " +
			promonote.Link(fmt.Sprintf("%s pipeline #%d", f.Pipeline.Ref, f.Pipeline.ID), f.Pipeline.WebURL)}
	var links []string
	if by.PipelineURL != "" {
		links = append(links, promonote.Link("pipeline", by.PipelineURL))
	}
	if by.JobURL != "" {
		links = append(links, promonote.Link("job", by.JobURL))
	}
	note.PromotedBy = strings.Join(links, ", ")
	return promonote.Body(f.Record, env, note)
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
