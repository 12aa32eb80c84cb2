package gitlabtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kiln-ci/kiln/internal/testkit"
)

// The JSON objects below follow the example responses of GitLab's API documentation;
// fields kiln does not read are kept (with the documented types) so that a client that
// decodes strictly or by position would notice a change.

func (f *Fake) user(username string) map[string]any {
	return map[string]any{"id": 1, "username": username, "name": username, "state": "active",
		"avatar_url": nil, "web_url": strings.TrimSuffix(f.WebURL, "/acme/web") + "/" + username}
}

func (f *Fake) mergeRequestJSON(mr *MergeRequest) map[string]any {
	source := int64(ProjectID)
	if mr.FromFork {
		source = ProjectID + 1
	}
	var mergedAt, mergeUser any
	if mr.State == "merged" {
		mergedAt, mergeUser = f.now.Format(time.RFC3339Nano), f.user("maintainer")
	}
	return map[string]any{
		"id": 10000 + mr.IID, "iid": mr.IID, "project_id": ProjectID,
		"title": mr.Title, "description": "", "state": mr.State,
		"created_at": f.now.Add(-time.Hour).Format(time.RFC3339Nano), "updated_at": f.now.Format(time.RFC3339Nano),
		"merged_by": mergeUser, "merge_user": mergeUser, "merged_at": mergedAt,
		"closed_by": nil, "closed_at": nil,
		"target_branch": mr.TargetBranch, "source_branch": mr.SourceBranch,
		"user_notes_count": len(f.notes[mr.IID]), "upvotes": 0, "downvotes": 0,
		"author": f.user("developer"), "assignees": []any{}, "assignee": nil, "reviewers": []any{},
		"source_project_id": source, "target_project_id": ProjectID,
		"labels": []any{}, "draft": false, "work_in_progress": false, "milestone": nil,
		"merge_when_pipeline_succeeds": false, "merge_status": "can_be_merged",
		"detailed_merge_status": "not_open",
		"sha":                   mr.SHA, "merge_commit_sha": nullable(mr.MergeCommitSHA), "squash_commit_sha": nullable(mr.SquashCommitSHA),
		"discussion_locked": nil, "should_remove_source_branch": nil, "force_remove_source_branch": false,
		"reference":  fmt.Sprintf("!%d", mr.IID),
		"references": map[string]any{"short": fmt.Sprintf("!%d", mr.IID), "relative": fmt.Sprintf("!%d", mr.IID), "full": fmt.Sprintf("acme/web!%d", mr.IID)},
		"web_url":    fmt.Sprintf("%s/-/merge_requests/%d", f.WebURL, mr.IID),
		"time_stats": map[string]any{"time_estimate": 0, "total_time_spent": 0, "human_time_estimate": nil, "human_total_time_spent": nil},
		"squash":     mr.SquashCommitSHA != "", "squash_on_merge": mr.SquashCommitSHA != "",
		"task_completion_status": map[string]any{"count": 0, "completed_count": 0},
		"has_conflicts":          false, "blocking_discussions_resolved": true,
	}
}

func (f *Fake) pipelineJSON(p *Pipeline) map[string]any {
	source := "push"
	if strings.HasPrefix(p.Ref, "refs/merge-requests/") {
		source = "merge_request_event"
	}
	return map[string]any{
		"id": p.ID, "iid": p.ID - 1000, "project_id": ProjectID, "sha": p.SHA, "ref": p.Ref,
		"status": p.Status, "source": source, "name": nil,
		"created_at": f.now.Format(time.RFC3339Nano), "updated_at": f.now.Format(time.RFC3339Nano),
		"web_url": fmt.Sprintf("%s/-/pipelines/%d", f.WebURL, p.ID),
	}
}

func (f *Fake) jobJSON(j *Job, p *Pipeline) map[string]any {
	var artifacts []any
	var file any
	for k, data := range f.artifacts {
		if k.job == j.ID {
			artifacts = []any{map[string]any{"file_type": "archive", "size": len(data), "filename": "artifacts.zip", "file_format": "zip"}}
			file = map[string]any{"filename": "artifacts.zip", "size": len(data)}
		}
	}
	return map[string]any{
		"id": j.ID, "name": j.Name, "stage": "test", "status": j.Status, "ref": p.Ref, "tag": false,
		"coverage": nil, "allow_failure": false,
		"created_at": f.now.Format(time.RFC3339Nano), "started_at": f.now.Format(time.RFC3339Nano),
		"finished_at": f.now.Format(time.RFC3339Nano), "erased_at": nil, "duration": 12.5, "queued_duration": 0.5,
		"user": f.user("developer"), "failure_reason": failureReason(j.Status),
		"commit":    map[string]any{"id": p.SHA, "short_id": p.SHA[:min(8, len(p.SHA))], "title": "change", "message": "change\n"},
		"pipeline":  map[string]any{"id": p.ID, "project_id": ProjectID, "ref": p.Ref, "sha": p.SHA, "status": p.Status},
		"web_url":   fmt.Sprintf("%s/-/jobs/%d", f.WebURL, j.ID),
		"artifacts": orEmpty(artifacts), "artifacts_file": file, "artifacts_expire_at": nil,
		"runner": nil, "tag_list": []any{}, "project": map[string]any{"ci_job_token_scope_enabled": true},
	}
}

func (f *Fake) noteJSON(n *Note, iid int64) map[string]any {
	return map[string]any{
		"id": n.ID, "type": nil, "body": n.Body, "attachment": nil, "author": f.user(n.Author),
		"created_at": f.now.Format(time.RFC3339Nano), "updated_at": f.now.Format(time.RFC3339Nano),
		"system": n.System, "noteable_id": 10000 + iid, "noteable_type": "MergeRequest",
		"project_id": ProjectID, "noteable_iid": iid, "resolvable": false,
		"confidential": false, "internal": false,
	}
}

func failureReason(status string) any {
	if status == "failed" {
		return "script_failure"
	}
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func orEmpty(a []any) []any {
	if a == nil {
		return []any{}
	}
	return a
}

// page writes one page of items with GitLab's offset pagination headers: page and
// per_page (default 20, at most 100), X-Page, X-Per-Page, X-Total, X-Total-Pages,
// X-Next-Page, X-Prev-Page and a Link header.
func page(w http.ResponseWriter, r *http.Request, items []any) {
	p := testkit.PageOf(r, len(items), 20)
	h := w.Header()
	h.Set("X-Page", strconv.Itoa(p.Number))
	h.Set("X-Per-Page", strconv.Itoa(p.PerPage))
	h.Set("X-Total", strconv.Itoa(len(items)))
	h.Set("X-Total-Pages", strconv.Itoa(p.Pages))
	h.Set("X-Next-Page", "")
	h.Set("X-Prev-Page", "")
	var links []string
	if p.Number < p.Pages {
		h.Set("X-Next-Page", strconv.Itoa(p.Number+1))
		links = append(links, p.Link(r, p.Number+1, "next"))
	}
	if p.Number > 1 {
		h.Set("X-Prev-Page", strconv.Itoa(p.Number-1))
		links = append(links, p.Link(r, p.Number-1, "prev"))
	}
	links = append(links, p.Link(r, 1, "first"), p.Link(r, p.Pages, "last"))
	h.Set("Link", strings.Join(links, ", "))
	testkit.WriteJSON(w, http.StatusOK, p.Items(items))
}

// message writes GitLab's error shape, {"message": "404 Not Found"}.
func message(w http.ResponseWriter, status int, msg string) {
	testkit.WriteJSON(w, status, map[string]string{"message": msg})
}
