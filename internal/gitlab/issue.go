package gitlab

import (
	"context"
	"fmt"
	"github.com/kiln-ci/kiln/internal/promonote"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go"
)

// DriftLabel is the label of the issues kiln-drift keeps, one per drifted environment.
const DriftLabel = "kiln-drift"

// driftMarker is the hidden first line of environment env's drift issue: kiln finds the
// issue by it, whatever its title became.
func driftMarker(env string) string {
	return "<!-- kiln-drift environment=" + promonote.CommentSafe(env) + " -->"
}

// SyncDriftIssue keeps one open issue per environment while it has drifted: opened with
// body when there is none, its description updated when body changed, closed once the
// environment is in sync again. It returns what it did ("opened #3", "updated #3",
// "unchanged #3", "closed #3", or "" when in sync with no issue open).
func (c *Client) SyncDriftIssue(ctx context.Context, env string, drifted bool, body string) (string, error) {
	marker := driftMarker(env)
	open, err := c.driftIssue(ctx, marker)
	if err != nil {
		return "", err
	}
	desc := marker + "\n" + body
	switch {
	case !drifted && open == nil:
		return "", nil
	case !drifted:
		_, resp, err := c.api.Issues.UpdateIssue(c.project, open.IID, &gl.UpdateIssueOptions{StateEvent: gl.Ptr("close")}, gl.WithContext(ctx))
		if err != nil {
			return "", c.fail(fmt.Sprintf("close issue #%d", open.IID), resp, err)
		}
		return fmt.Sprintf("closed #%d", open.IID), nil
	case open == nil:
		labels := gl.LabelOptions{DriftLabel}
		is, resp, err := c.api.Issues.CreateIssue(c.project, &gl.CreateIssueOptions{
			Title: gl.Ptr("kiln-drift: environment " + env + " is not what kiln deployed"), Description: &desc, Labels: &labels,
		}, gl.WithContext(ctx), gl.WithRequestRetry(onlyUnprocessed)) // never two issues
		if err != nil {
			return "", c.fail("open the drift issue of "+env, resp, err)
		}
		return fmt.Sprintf("opened #%d", is.IID), nil
	case strings.TrimSpace(open.Description) == strings.TrimSpace(desc):
		return fmt.Sprintf("unchanged #%d", open.IID), nil
	default:
		_, resp, err := c.api.Issues.UpdateIssue(c.project, open.IID, &gl.UpdateIssueOptions{Description: &desc}, gl.WithContext(ctx))
		if err != nil {
			return "", c.fail(fmt.Sprintf("update issue #%d", open.IID), resp, err)
		}
		return fmt.Sprintf("updated #%d", open.IID), nil
	}
}

// driftIssue finds the open issue whose description starts with marker.
func (c *Client) driftIssue(ctx context.Context, marker string) (*gl.Issue, error) {
	labels := gl.LabelOptions{DriftLabel}
	opt := &gl.ListProjectIssuesOptions{ListOptions: gl.ListOptions{PerPage: 100, Page: 1}, State: gl.Ptr("opened"), Labels: &labels}
	for {
		issues, resp, err := c.api.Issues.ListProjectIssues(c.project, opt, gl.WithContext(ctx))
		if err != nil {
			return nil, c.fail("list the open "+DriftLabel+" issues", resp, err)
		}
		for _, is := range issues {
			if strings.HasPrefix(is.Description, marker) {
				return is, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opt.Page = resp.NextPage
	}
}
