package github

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	gh "github.com/google/go-github/v76/github"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
)

// MaxArchive is the largest artifact archive kiln downloads, in bytes: the record, kiln.env
// and a JUnit report are far smaller.
const MaxArchive = 64 << 20

// Artifact is an artifact of a workflow run.
type Artifact struct {
	ID    int64
	Name  string
	RunID int64
	Size  int64
}

// RunArtifact returns the run's newest artifact called name that has not expired. A run
// without one has no record (exitcode.RecordInvalid).
func (c *Client) RunArtifact(ctx context.Context, run *Run, name string) (*Artifact, error) {
	a, expired, err := c.findArtifact(ctx, run, name)
	if err != nil || a != nil {
		return a, err
	}
	why := "the run did not upload it (set --github-artifact)"
	if expired {
		why = "it expired (retention-days)"
	}
	return nil, exitcode.New(exitcode.RecordInvalid, "run %d has no artifact %s: %s", run.ID, name, why)
}

// findArtifact returns the run's newest artifact called name that has not expired; nil,
// and whether one expired, when there is none.
func (c *Client) findArtifact(ctx context.Context, run *Run, name string) (*Artifact, bool, error) {
	arts, resp, err := collect(func(o gh.ListOptions) ([]*gh.Artifact, *gh.Response, error) {
		list, resp, err := c.api.Actions.ListWorkflowRunArtifacts(ctx, c.owner, c.repo, run.ID, &o)
		if err != nil {
			return nil, resp, err
		}
		return list.Artifacts, resp, nil
	})
	if err != nil {
		return nil, false, c.fail(fmt.Sprintf("list the artifacts of run %d", run.ID), resp, err)
	}
	sort.Slice(arts, func(i, j int) bool { return arts[i].GetID() > arts[j].GetID() })
	expired := false
	for _, a := range arts {
		if a.GetName() != name {
			continue
		}
		if a.GetExpired() {
			expired = true
			continue
		}
		return &Artifact{ID: a.GetID(), Name: name, RunID: run.ID, Size: a.GetSizeInBytes()}, false, nil
	}
	return nil, expired, nil
}

// ArtifactFile downloads the artifact's zip archive (GitHub answers with a redirect to its
// storage, which kiln follows without the token), and returns the file at path in it. An
// archive GitHub no longer has, one larger than MaxArchive, or one without that file is
// exitcode.RecordInvalid.
func (c *Client) ArtifactFile(ctx context.Context, a *Artifact, path string) ([]byte, error) {
	return c.artifactFile(ctx, a, path, record.MaxSize, "a record", "--github-record")
}

// artifactFile is ArtifactFile for a file of at most max bytes; what names such a file and
// flag the setting of path, in messages.
func (c *Client) artifactFile(ctx context.Context, a *Artifact, path string, max uint64, what, flag string) ([]byte, error) {
	archive, err := c.download(ctx, a)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		return nil, exitcode.New(exitcode.RecordInvalid, "artifact %s of run %d is not a zip archive: %w", a.Name, a.RunID, err)
	}
	var names []string
	for _, f := range zr.File {
		if f.Name != path || f.FileInfo().IsDir() {
			names = append(names, f.Name)
			continue
		}
		if f.UncompressedSize64 > max {
			return nil, exitcode.New(exitcode.RecordInvalid, "%s in artifact %s of run %d: %d bytes is more than the %d %s may have",
				path, a.Name, a.RunID, f.UncompressedSize64, max, what)
		}
		r, err := f.Open()
		if err != nil {
			return nil, exitcode.New(exitcode.RecordInvalid, "%s in artifact %s of run %d: %w", path, a.Name, a.RunID, err)
		}
		defer r.Close()
		data, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
		if err != nil {
			return nil, exitcode.New(exitcode.RecordInvalid, "%s in artifact %s of run %d: %w", path, a.Name, a.RunID, err)
		}
		return data, nil
	}
	sort.Strings(names)
	if len(names) > 10 {
		names = append(names[:10], "...")
	}
	return nil, exitcode.New(exitcode.RecordInvalid, "artifact %s of run %d has no %s (it holds %s; set %s)",
		a.Name, a.RunID, path, orNothing(strings.Join(names, ", ")), flag)
}

// download fetches the artifact's archive: GitHub's download endpoint answers 302 with a
// short-lived signed URL of its storage, fetched with a client that never sends the token.
func (c *Client) download(ctx context.Context, a *Artifact) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	op := fmt.Sprintf("download artifact %s (%d) of run %d", a.Name, a.ID, a.RunID)
	loc, resp, err := c.api.Actions.DownloadArtifact(ctx, c.owner, c.repo, a.ID, 1)
	if err != nil {
		err = c.fail(op, resp, err)
		if IsNotFound(err) {
			return nil, exitcode.New(exitcode.RecordInvalid, "run %d has no artifact %s any more: it expired or was deleted", a.RunID, a.Name)
		}
		return nil, err
	}
	u := c.api.BaseURL.ResolveReference(loc)
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, exitcode.New(exitcode.Failed, "GitHub: %s: redirected to a %q URL", op, u.Scheme)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, exitcode.New(exitcode.Failed, "GitHub: %s: %w", op, err)
	}
	res, err := c.blob.Do(req)
	if err != nil {
		return nil, exitcode.New(exitcode.Failed, "GitHub: %s from %s: %w", op, u.Host, bareURLError(err))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		// The storage's URL is signed: name its host only.
		return nil, exitcode.New(exitcode.Failed, "GitHub: %s from %s: %s", op, u.Host, res.Status)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, MaxArchive+1))
	if err != nil {
		return nil, exitcode.New(exitcode.Failed, "GitHub: %s from %s: %w", op, u.Host, bareURLError(err))
	}
	if len(data) > MaxArchive {
		return nil, exitcode.New(exitcode.RecordInvalid, "artifact %s of run %d is larger than %d bytes: not a kiln record artifact",
			a.Name, a.RunID, MaxArchive)
	}
	return data, nil
}

// bareURLError drops the URL (signed, a credential while it lasts) from a client error.
func bareURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func orNothing(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}
