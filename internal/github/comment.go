package github

import (
	"context"
	"fmt"
	"strings"

	gh "github.com/google/go-github/v76/github"
)

// Marker is the hidden line (an HTML comment, invisible in the rendered comment) that marks
// the comment on the promotion of image imageID to environment env, so that a second run
// finds it and does not comment again.
func Marker(env, imageID string) string {
	return "<!-- kiln-promotion environment=" + commentSafe(env) + " image=" + commentSafe(imageID) + " -->"
}

// commentSafe keeps s from ending the HTML comment it is written in.
func commentSafe(s string) string {
	return strings.NewReplacer("--", "", ">", "", "\n", " ", "\r", " ").Replace(s)
}

// CommentBody is the Markdown comment kiln posts on the pull request once f's image is
// promoted to env: the marker, the image's id, name and family, the source commit, the
// job and run that tested it, and the promote run (runURL, "" for none).
func CommentBody(f *Found, env, runURL string) string {
	rec, pr := f.Record, f.PullRequest
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n**kiln promoted %s to %s.**\n\n", Marker(env, rec.Image.ID), code(rec.Image.Name), code(env))
	b.WriteString("| | |\n|---|---|\n")
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, v) }
	row("Image id", code(rec.Image.ID))
	row("Image name", code(rec.Image.Name))
	row("Family", code(rec.Image.Family))
	row("Source commit", fmt.Sprintf("%s, the head of this pull request (merged by %s)", code(rec.Source.Commit), pr.How))
	if t := rec.Tests; t != nil {
		row("Tests", fmt.Sprintf("%d of %d checks passed against this image in %s, in %s of %s",
			t.Passed, t.Total, code(t.Environment), link("job "+code(f.Job.Name), f.Job.HTMLURL),
			link(fmt.Sprintf("%s run %d", f.Run.Branch, f.Run.ID), f.Run.HTMLURL)))
	}
	if runURL != "" {
		row("Promoted by", link("run", runURL))
	}
	return b.String()
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
