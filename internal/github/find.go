package github

import (
	"context"
	"fmt"
	"sort"
	"strings"

	gh "github.com/google/go-github/v76/github"

	"github.com/kiln-ci/kiln/internal/exitcode"
)

// How a merged pull request's commit reached the base branch.
const (
	// MergedByMergeCommit: the commit is the pull request's merge_commit_sha, which GitHub
	// sets to the merge commit, the squashed commit or the last rebased commit alike.
	MergedByMergeCommit = "merge, squash or rebase"
	// MergedByFastForward: the commit is the pull request's head itself (its branch was
	// pushed to the base branch).
	MergedByFastForward = "fast-forward"
)

// PullRequest is a pull request, as promotion needs it.
type PullRequest struct {
	Number  int
	Title   string
	HTMLURL string
	Head    string // the head branch
	Base    string // the base branch
	// HeadSHA is the head commit of the pull request: the commit whose push run tested the
	// image.
	HeadSHA string
	// How is how the merge made the commit (MergedByMergeCommit or MergedByFastForward);
	// empty for an open pull request.
	How string
}

// MergedPullRequest returns the merged pull request from branch from to branch to, of this
// repository, whose merge made commit: its merge_commit_sha (a merge, squash or rebase
// merge), or its head (a fast-forward). Without one the promotion is refused
// (exitcode.PromotionRefused), naming the pull requests the commit belongs to.
func (c *Client) MergedPullRequest(ctx context.Context, commit, from, to string) (*PullRequest, error) {
	prs, resp, err := collect(func(o gh.ListOptions) ([]*gh.PullRequest, *gh.Response, error) {
		return c.api.PullRequests.ListPullRequestsWithCommit(ctx, c.owner, c.repo, commit, &o)
	})
	if err != nil {
		return nil, c.fail("list the pull requests of commit "+short(commit), resp, err)
	}
	var found []*PullRequest
	var seen []string
	for _, p := range prs {
		how := mergedHow(p, commit)
		if ok, fork := c.fromTo(p, from, to); !ok || p.MergedAt == nil || how == "" {
			seen = append(seen, describe(p, fork))
			continue
		}
		pr := pullRequest(p)
		pr.How = how
		found = append(found, pr)
	}
	if len(found) == 0 {
		also := ""
		if len(seen) > 0 {
			also = " (it belongs to " + strings.Join(seen, ", ") + ")"
		}
		return nil, exitcode.New(exitcode.PromotionRefused,
			"promotion refused: commit %s is not the merge of a merged pull request from %s to %s%s",
			short(commit), from, to, also)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Number > found[j].Number })
	return found[0], nil
}

// OpenPullRequest returns pull request number, which must be from branch from to branch to
// of this repository (exitcode.PromotionRefused otherwise). Its head is what its run plans.
func (c *Client) OpenPullRequest(ctx context.Context, number int, from, to string) (*PullRequest, error) {
	p, resp, err := c.api.PullRequests.Get(ctx, c.owner, c.repo, number)
	if err != nil {
		return nil, c.fail(fmt.Sprintf("get pull request #%d", number), resp, err)
	}
	if ok, fork := c.fromTo(p, from, to); !ok {
		return nil, exitcode.New(exitcode.PromotionRefused, "promotion refused: pull request %s is not from %s to %s of this repository",
			describe(p, fork), from, to)
	}
	return pullRequest(p), nil
}

// fromTo reports whether p is a pull request from branch from to branch to of this
// repository; fork names the fork its head comes from, when it does. The repositories are
// compared by id (a rename keeps it), else by name.
func (c *Client) fromTo(p *gh.PullRequest, from, to string) (ok bool, fork string) {
	head, base := p.GetHead().GetRepo(), p.GetBase().GetRepo()
	switch {
	case head == nil:
		fork = "from a deleted fork"
	case head.GetID() != 0 && base.GetID() != 0 && head.GetID() != base.GetID(),
		!strings.EqualFold(head.GetFullName(), c.owner+"/"+c.repo):
		fork = "from the fork " + head.GetFullName()
	}
	return fork == "" && p.GetHead().GetRef() == from && p.GetBase().GetRef() == to, fork
}

// describe names a pull request for messages: "#3 feature -> master open", "#4 master ->
// stable merged from the fork someone/web".
func describe(p *gh.PullRequest, problem string) string {
	state := p.GetState()
	if p.MergedAt != nil {
		state = "merged"
	}
	s := fmt.Sprintf("#%d %s -> %s %s", p.GetNumber(), p.GetHead().GetRef(), p.GetBase().GetRef(), state)
	if problem != "" {
		s += " " + problem
	}
	return s
}

func pullRequest(p *gh.PullRequest) *PullRequest {
	return &PullRequest{Number: p.GetNumber(), Title: p.GetTitle(), HTMLURL: p.GetHTMLURL(),
		Head: p.GetHead().GetRef(), Base: p.GetBase().GetRef(), HeadSHA: p.GetHead().GetSHA()}
}

// mergedHow says how p made commit, or "" when it did not. A commit that is only among the
// pull request's commits (not its head) never counts: its tree is not what was tested.
func mergedHow(p *gh.PullRequest, commit string) string {
	switch commit {
	case "":
		return ""
	case p.GetHead().GetSHA():
		return MergedByFastForward
	case p.GetMergeCommitSHA():
		return MergedByMergeCommit
	}
	return ""
}

// maxItems bounds a paged list, so that a server that always has a next page cannot keep
// kiln reading.
const maxItems = 5000

// collect reads every page of a list (100 entries a page, up to maxItems entries) and
// returns the last response, whose status an error needs.
func collect[T any](f func(o gh.ListOptions) ([]T, *gh.Response, error)) ([]T, *gh.Response, error) {
	var all []T
	o := gh.ListOptions{PerPage: 100, Page: 1}
	for {
		items, resp, err := f(o)
		if err != nil {
			return nil, resp, err
		}
		all = append(all, items...)
		if resp == nil || resp.NextPage == 0 || resp.NextPage <= o.Page || len(all) >= maxItems {
			return all, resp, nil
		}
		o.Page = resp.NextPage
	}
}
