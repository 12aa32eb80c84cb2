package github

import (
	"context"
	"fmt"
	"github.com/kiln-ci/kiln/internal/promonote"
	"strings"

	gh "github.com/google/go-github/v76/github"
)

// CommentBody is the Markdown comment kiln posts on the pull request once f's image is
// promoted to env: the marker, the image's id, name and family, the source commit, the
// job and run that tested it, and the promote run (runURL, "" for none).
func CommentBody(f *Found, env, runURL string) string {
	note := promonote.Note{Request: "pull request", How: f.PullRequest.How,
		TestedIn: promonote.Link("job "+promonote.Code(f.Job.Name), f.Job.HTMLURL) + " of " +
			promonote.Link(fmt.Sprintf("%s run %d", f.Run.Branch, f.Run.ID), f.Run.HTMLURL)}
	if runURL != "" {
		note.PromotedBy = promonote.Link("run", runURL)
	}
	return promonote.Body(f.Record, env, note)
}

// CommentOnce posts body on pull request number unless one of its comments already holds
// marker; it reports whether it posted. IsDenied tells a token GitHub does not let comment
// (a GITHUB_TOKEN without pull-requests: write) from other failures.
func (c *Client) CommentOnce(ctx context.Context, number int, marker, body string) (bool, error) {
	opt := &gh.IssueListCommentsOptions{}
	comments, resp, err := collect(func(o gh.ListOptions) ([]*gh.IssueComment, *gh.Response, error) {
		opt.ListOptions = o
		return c.api.Issues.ListComments(ctx, c.owner, c.repo, number, opt)
	})
	if err != nil {
		return false, c.fail(fmt.Sprintf("list the comments of pull request #%d", number), resp, err)
	}
	for _, cm := range comments {
		if strings.Contains(cm.GetBody(), marker) {
			return false, nil
		}
	}
	// go-github does not retry, so a comment GitHub created before a failed answer is not
	// posted twice by this run; the next run finds its marker.
	_, resp, err = c.api.Issues.CreateComment(ctx, c.owner, c.repo, number, &gh.IssueComment{Body: gh.Ptr(body)})
	if err != nil {
		return false, c.fail(fmt.Sprintf("comment the promotion on pull request #%d", number), resp, err)
	}
	return true, nil
}
