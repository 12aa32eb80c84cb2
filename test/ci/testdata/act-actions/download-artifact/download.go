// Command download is the download-artifact stand-in's body: it finds the artifact named
// $ARTIFACT_NAME among this run's on act's artifact server, downloads its zip through the
// artifact service's v4 calls and unzips it into $ARTIFACT_PATH (relative to the working
// directory).
package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	if err := download(); err != nil {
		fmt.Printf("::error::download-artifact stand-in: %v\n", err)
		os.Exit(1)
	}
}

func download() error {
	name, dir := os.Getenv("ARTIFACT_NAME"), os.Getenv("ARTIFACT_PATH")
	if dir == "" {
		dir = "."
	}
	run, job, err := backendIDs()
	if err != nil {
		return err
	}
	if id := os.Getenv("ARTIFACT_RUN_ID"); id != "" && id != os.Getenv("GITHUB_RUN_ID") {
		return fmt.Errorf("run-id %s: only this run's artifacts are on act's server", id)
	}
	var list struct {
		Artifacts []struct {
			Name string `json:"name"`
		} `json:"artifacts"`
	}
	ids := map[string]any{"workflow_run_backend_id": run, "workflow_job_run_backend_id": job}
	if err := call("ListArtifacts", with(ids, "name_filter", name), &list); err != nil {
		return err
	}
	if len(list.Artifacts) != 1 {
		return fmt.Errorf("artifact not found: %s", name)
	}
	var signed struct {
		SignedURL string `json:"signedUrl"`
	}
	if err := call("GetSignedArtifactURL", with(ids, "name", name), &signed); err != nil {
		return err
	}
	resp, err := http.Get(signed.SignedURL)
	if err != nil {
		return fmt.Errorf("download %s: %w", name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("download %s: %s %v", name, resp.Status, err)
	}
	n, err := unzip(b, dir)
	if err != nil {
		return fmt.Errorf("unzip %s: %w", name, err)
	}
	abs, _ := filepath.Abs(dir)
	if out := os.Getenv("GITHUB_OUTPUT"); out != "" {
		f, err := os.OpenFile(out, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		fmt.Fprintf(f, "download-path=%s\n", abs)
		if err := f.Close(); err != nil {
			return err
		}
	}
	fmt.Printf("download-artifact stand-in: %s (%d files) into %s\n", name, n, abs)
	return nil
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{k: v}
	for mk, mv := range m {
		out[mk] = mv
	}
	return out
}

// unzip writes the zip's files under dir, refusing names that would leave it.
func unzip(b []byte, dir string) (int, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, f := range zr.File {
		if !filepath.IsLocal(f.Name) {
			return n, fmt.Errorf("entry %q leaves the download directory", f.Name)
		}
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		dst := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return n, err
		}
		r, err := f.Open()
		if err != nil {
			return n, err
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return n, err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
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
