package githubtest

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-ci/kiln/internal/testkit"
)

// The JSON objects below follow the example responses of GitHub's REST documentation
// ("Pull Request Simple", "Pull Request", "Workflow Run", "Job", "Artifact", "Issue
// Comment"); fields kiln does not read are kept, with the documented types, so that a
// client that decodes differently would notice.

func (f *Fake) repoURL() string { return f.URL + "/repos/" + Owner + "/" + Repo }
func (f *Fake) webURL() string  { return f.ServerURL + "/" + Owner + "/" + Repo }
func (f *Fake) stamp(d time.Duration) string {
	return f.now.Add(d).Format(time.RFC3339)
}

func (f *Fake) user(login string) map[string]any {
	return map[string]any{"login": login, "id": 1, "node_id": "MDQ6VXNlcjE=", "type": "User", "site_admin": false,
		"html_url": f.ServerURL + "/" + login, "url": f.URL + "/users/" + login}
}

func (f *Fake) repoJSON(fullName string) any {
	if fullName == "-" {
		return nil // a deleted fork
	}
	owner, name, _ := strings.Cut(fullName, "/")
	id := 4242
	if fullName != Owner+"/"+Repo {
		id = 4343
	}
	return map[string]any{"id": id, "node_id": "R_kgDOAAAAAA", "name": name, "full_name": fullName,
		"owner": f.user(owner), "private": false, "fork": fullName != Owner+"/"+Repo,
		"html_url": f.ServerURL + "/" + fullName, "url": f.URL + "/repos/" + fullName, "default_branch": "master"}
}

func (f *Fake) pullJSON(pr *PullRequest, full bool) map[string]any {
	headRepo := Owner + "/" + Repo
	if pr.Fork != "" {
		headRepo = pr.Fork
	}
	var mergedAt, closedAt, mergeSHA any
	if pr.State == "closed" || pr.Merged {
		closedAt = f.stamp(0)
	}
	if pr.Merged {
		mergedAt = f.stamp(0)
	}
	if pr.MergeCommitSHA != "" {
		mergeSHA = pr.MergeCommitSHA
	}
	state := pr.State
	if pr.Merged {
		state = "closed"
	}
	n := strconv.Itoa(pr.Number)
	headOwner, _, _ := strings.Cut(headRepo, "/")
	out := map[string]any{
		"url": f.repoURL() + "/pulls/" + n, "id": 50000 + pr.Number, "node_id": "PR_kwDOAAAAAA",
		"html_url": f.webURL() + "/pull/" + n, "diff_url": f.webURL() + "/pull/" + n + ".diff",
		"issue_url": f.repoURL() + "/issues/" + n, "number": pr.Number, "state": state, "locked": false,
		"title": pr.Title, "user": f.user("developer"), "body": nil, "labels": []any{}, "milestone": nil,
		"active_lock_reason": nil, "created_at": f.stamp(-time.Hour), "updated_at": f.stamp(0),
		"closed_at": closedAt, "merged_at": mergedAt, "merge_commit_sha": mergeSHA,
		"assignee": nil, "assignees": []any{}, "requested_reviewers": []any{}, "requested_teams": []any{},
		"head": map[string]any{"label": headOwner + ":" + pr.Head, "ref": pr.Head, "sha": pr.HeadSHA,
			"user": f.user(headOwner), "repo": f.repoJSON(headRepo)},
		"base": map[string]any{"label": Owner + ":" + pr.Base, "ref": pr.Base, "sha": strings.Repeat("0", 40),
			"user": f.user(Owner), "repo": f.repoJSON(Owner + "/" + Repo)},
		"author_association": "MEMBER", "auto_merge": nil, "draft": false,
	}
	if full {
		out["merged"] = pr.Merged
		out["mergeable"] = nil
		out["mergeable_state"] = "unknown"
		out["comments"] = len(f.comments[pr.Number])
		out["commits"] = len(pr.Commits)
		out["additions"], out["deletions"], out["changed_files"] = 1, 0, 1
		out["maintainer_can_modify"] = false
		if pr.Merged {
			out["merged_by"] = f.user("maintainer")
		} else {
			out["merged_by"] = nil
		}
	}
	return out
}

func (f *Fake) runJSON(r *Run) map[string]any {
	id := strconv.FormatInt(r.ID, 10)
	var conclusion any
	if r.Conclusion != "" {
		conclusion = r.Conclusion
	}
	return map[string]any{
		"id": r.ID, "name": "kiln", "node_id": "WFR_kwLOAAAAAA", "head_branch": r.Branch, "head_sha": r.HeadSHA,
		"path": r.Path, "display_title": "change", "run_number": r.Number, "run_attempt": 1, "event": r.Event,
		"status": r.Status, "conclusion": conclusion, "workflow_id": 161335, "check_suite_id": 42,
		"url": f.repoURL() + "/actions/runs/" + id, "html_url": f.webURL() + "/actions/runs/" + id,
		"pull_requests": f.runPulls(r), "created_at": f.stamp(-time.Hour), "updated_at": f.stamp(0),
		"run_started_at": f.stamp(-time.Hour), "actor": f.user("developer"), "triggering_actor": f.user("developer"),
		"jobs_url": f.repoURL() + "/actions/runs/" + id + "/jobs", "logs_url": f.repoURL() + "/actions/runs/" + id + "/logs",
		"artifacts_url": f.repoURL() + "/actions/runs/" + id + "/artifacts",
		"head_commit": map[string]any{"id": r.HeadSHA, "tree_id": strings.Repeat("f", 40), "message": "change",
			"timestamp": f.stamp(-time.Hour)},
		"repository": f.repoJSON(Owner + "/" + Repo), "head_repository": f.repoJSON(Owner + "/" + Repo),
	}
}

// runPulls is a run's pull_requests: the minimal pull request objects GitHub lists there.
func (f *Fake) runPulls(r *Run) []any {
	out := []any{}
	for _, n := range r.PullRequests {
		for _, pr := range f.pulls {
			if pr.Number != n {
				continue
			}
			repo := map[string]any{"id": 4242, "url": f.repoURL(), "name": Repo}
			out = append(out, map[string]any{"id": 50000 + n, "number": n, "url": f.repoURL() + "/pulls/" + strconv.Itoa(n),
				"head": map[string]any{"ref": pr.Head, "sha": pr.HeadSHA, "repo": repo},
				"base": map[string]any{"ref": pr.Base, "sha": strings.Repeat("b", 40), "repo": repo}})
		}
	}
	return out
}

func (f *Fake) jobJSON(j *Job, r *Run) map[string]any {
	id := strconv.FormatInt(j.ID, 10)
	var conclusion any
	if j.Conclusion != "" {
		conclusion = j.Conclusion
	}
	attempt := 2 // the latest attempt; an earlier one's jobs are Retried
	if j.Retried {
		attempt = 1
	}
	return map[string]any{
		"id": j.ID, "run_id": r.ID, "run_url": f.repoURL() + "/actions/runs/" + strconv.FormatInt(r.ID, 10),
		"run_attempt": attempt, "node_id": "CR_kwDOAAAAAA", "head_sha": r.HeadSHA, "head_branch": r.Branch,
		"url": f.repoURL() + "/actions/jobs/" + id, "html_url": f.webURL() + "/actions/runs/" + strconv.FormatInt(r.ID, 10) + "/job/" + id,
		"status": j.Status, "conclusion": conclusion, "created_at": f.stamp(-time.Hour), "started_at": f.stamp(-time.Hour),
		"completed_at": f.stamp(0), "name": j.Name, "steps": []any{}, "check_run_url": f.repoURL() + "/check-runs/" + id,
		"labels": []any{"ubuntu-24.04"}, "runner_id": 1, "runner_name": "GitHub Actions 1", "runner_group_id": 0,
		"runner_group_name": "GitHub Actions", "workflow_name": "kiln",
	}
}

func (f *Fake) artifactJSON(a *Artifact, r *Run) map[string]any {
	id := strconv.FormatInt(a.ID, 10)
	return map[string]any{
		"id": a.ID, "node_id": "MDg6QXJ0aWZhY3Qx", "name": a.Name, "size_in_bytes": len(a.zip),
		"url": f.repoURL() + "/actions/artifacts/" + id, "archive_download_url": f.repoURL() + "/actions/artifacts/" + id + "/zip",
		"expired": a.Expired, "created_at": f.stamp(-time.Hour), "updated_at": f.stamp(-time.Hour),
		"expires_at": f.stamp(90 * 24 * time.Hour), "digest": nil,
		"workflow_run": map[string]any{"id": r.ID, "repository_id": 4242, "head_repository_id": 4242,
			"head_branch": r.Branch, "head_sha": r.HeadSHA},
	}
}

func (f *Fake) commentJSON(c *Comment, number int) map[string]any {
	id := strconv.FormatInt(c.ID, 10)
	return map[string]any{
		"id": c.ID, "node_id": "IC_kwDOAAAAAA", "url": f.repoURL() + "/issues/comments/" + id,
		"html_url": f.webURL() + "/pull/" + strconv.Itoa(number) + "#issuecomment-" + id, "body": c.Body,
		"user": f.user(c.Author), "created_at": f.stamp(0), "updated_at": f.stamp(0),
		"issue_url": f.repoURL() + "/issues/" + strconv.Itoa(number), "author_association": "NONE",
	}
}

// page writes one page of items (page and per_page: default 30, at most 100) with GitHub's
// Link header (rel next, last, first, prev). wrap, when set, builds the body around the
// page (the Actions lists' {"total_count": N, "workflow_runs": [...]}); else the body is
// the array.
func page(w http.ResponseWriter, r *http.Request, items []any, wrap func([]any) any) {
	p := testkit.PageOf(r, len(items), 30)
	var links []string
	if p.Number < p.Pages {
		links = append(links, p.Link(r, p.Number+1, "next"), p.Link(r, p.Pages, "last"))
	}
	if p.Number > 1 {
		links = append(links, p.Link(r, 1, "first"), p.Link(r, p.Number-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	body := any(p.Items(items))
	if wrap != nil {
		body = wrap(p.Items(items))
	}
	writeJSON(w, http.StatusOK, body)
}

// writeJSON writes v with the headers GitHub's JSON answers carry.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	testkit.WriteJSON(w, status, v)
}

// message writes GitHub's error shape, {"message": "Not Found", "documentation_url": ...}.
func message(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)})
}
