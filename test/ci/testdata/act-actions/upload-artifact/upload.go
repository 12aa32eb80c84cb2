// Command upload is the upload-artifact stand-in's body: it zips the files named by
// $ARTIFACT_PATH (one path or glob a line, relative to the working directory; directories
// whole) with names relative to their deepest common directory, as the real action does, and
// uploads the zip to act's artifact server through the artifact service's v4 calls.
package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	if err := upload(); err != nil {
		fmt.Printf("::error::upload-artifact stand-in: %v\n", err)
		os.Exit(1)
	}
}

func upload() error {
	name := os.Getenv("ARTIFACT_NAME")
	files, err := collect(os.Getenv("ARTIFACT_PATH"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		switch os.Getenv("ARTIFACT_IF_NO_FILES_FOUND") {
		case "error":
			return fmt.Errorf("no files found for %q", os.Getenv("ARTIFACT_PATH"))
		case "ignore":
		default:
			fmt.Printf("::warning::upload-artifact stand-in: no files found for artifact %s\n", name)
		}
		return nil
	}
	zipped, err := zipFiles(files)
	if err != nil {
		return err
	}
	run, job, err := backendIDs()
	if err != nil {
		return err
	}
	var created struct {
		SignedUploadURL string `json:"signedUploadUrl"`
	}
	if err := call("CreateArtifact", map[string]any{"workflow_run_backend_id": run,
		"workflow_job_run_backend_id": job, "name": name, "version": 4}, &created); err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPut, created.SignedUploadURL+"&comp=block", bytes.NewReader(zipped))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("upload %s: %s", name, resp.Status)
	}
	sum := sha256.Sum256(zipped)
	var final struct {
		ArtifactID string `json:"artifactId"`
	}
	if err := call("FinalizeArtifact", map[string]any{"workflow_run_backend_id": run,
		"workflow_job_run_backend_id": job, "name": name, "size": fmt.Sprint(len(zipped)),
		"hash": "sha256:" + hex.EncodeToString(sum[:])}, &final); err != nil {
		return err
	}
	if out := os.Getenv("GITHUB_OUTPUT"); out != "" {
		if err := appendFile(out, "artifact-id="+final.ArtifactID+"\n"); err != nil {
			return err
		}
	}
	fmt.Printf("upload-artifact stand-in: %s (%d files, %d bytes, id %s)\n", name, len(files), len(zipped), final.ArtifactID)
	return nil
}

// collect expands the path lines into the files to upload.
func collect(lines string) ([]string, error) {
	seen := map[string]bool{}
	var files []string
	for _, line := range strings.Split(lines, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		matches, err := filepath.Glob(line)
		if err != nil {
			return nil, fmt.Errorf("path %q: %w", line, err)
		}
		for _, m := range matches {
			err := filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				abs, err := filepath.Abs(p)
				if err == nil && !seen[abs] {
					seen[abs] = true
					files = append(files, abs)
				}
				return err
			})
			if err != nil {
				return nil, err
			}
		}
	}
	sort.Strings(files)
	return files, nil
}

// zipFiles zips files under their paths relative to their deepest common directory.
func zipFiles(files []string) ([]byte, error) {
	root := filepath.Dir(files[0])
	for _, f := range files[1:] {
		for !strings.HasPrefix(f, root+string(filepath.Separator)) && root != "/" {
			root = filepath.Dir(root)
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(root, f)
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
	}
	err := zw.Close()
	return buf.Bytes(), err
}

// backendIDs reads the run and job ids from the runtime token's scope
// ("Actions.Results:RUN:JOB"), where the real action finds them.
func backendIDs() (run, job string, err error) {
	parts := strings.Split(os.Getenv("ACTIONS_RUNTIME_TOKEN"), ".")
	if len(parts) != 3 {
		return "", "", fmt.Errorf("ACTIONS_RUNTIME_TOKEN is not a JWT: run act with --artifact-server-path")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", "", fmt.Errorf("ACTIONS_RUNTIME_TOKEN: %w", err)
	}
	var claims struct {
		Scp string `json:"scp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return "", "", fmt.Errorf("ACTIONS_RUNTIME_TOKEN: %w", err)
	}
	for _, scope := range strings.Fields(claims.Scp) {
		if f := strings.Split(scope, ":"); len(f) == 3 && f[0] == "Actions.Results" {
			return f[1], f[2], nil
		}
	}
	return "", "", fmt.Errorf("ACTIONS_RUNTIME_TOKEN has no Actions.Results scope")
}

// call makes one call of the artifact service (Twirp, JSON) and decodes its answer into out.
func call(method string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	url := strings.TrimSuffix(os.Getenv("ACTIONS_RESULTS_URL"), "/") +
		"/twirp/github.actions.results.api.v1.ArtifactService/" + method
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+os.Getenv("ACTIONS_RUNTIME_TOKEN"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", method, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
