package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// rec is the part of kiln-image.json the test reads.
type rec struct {
	Image struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"image"`
	Deployments []struct {
		Environment string                     `json:"environment"`
		Outputs     map[string]json.RawMessage `json:"outputs"`
	} `json:"deployments"`
	Promotion *struct {
		Outcome  string `json:"outcome"`
		Strategy *struct {
			Type string `json:"type"`
			Slot string `json:"slot"`
		} `json:"strategy"`
	} `json:"promotion"`
}

func (w *world) record(t *testing.T) rec {
	t.Helper()
	var r rec
	b, err := os.ReadFile(filepath.Join(w.dir, "kiln-image.json"))
	if err == nil {
		err = json.Unmarshal(b, &r)
	}
	if err != nil {
		t.Fatalf("kiln-image.json: %v", err)
	}
	return r
}

// output decodes the latest deployment of env's output name into v.
func (r rec) output(t *testing.T, env, name string, v any) {
	t.Helper()
	for i := len(r.Deployments) - 1; i >= 0; i-- {
		d := r.Deployments[i]
		if d.Environment != env {
			continue
		}
		var o struct {
			Value json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(d.Outputs[name], &o); err != nil {
			t.Fatalf("output %s of %s: %v", name, env, err)
		}
		if err := json.Unmarshal(o.Value, v); err != nil {
			t.Fatalf("output %s of %s: %v", name, env, err)
		}
		return
	}
	t.Fatalf("no deployment of %s in the record", env)
}

// checkImageFiles fails unless every file of image id in the copy's registry still has the
// SHA-256 recorded when it was imported, and is read-only.
func (w *world) checkImageFiles(t *testing.T, id string) {
	t.Helper()
	dir := filepath.Join(w.dir, ".kiln", "images", "images", strings.TrimPrefix(id, "local:sha256:"))
	var meta struct {
		Files []struct {
			Name   string `json:"name"`
			SHA256 string `json:"sha256"`
		} `json:"files"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "image.json"))
	if err == nil {
		err = json.Unmarshal(b, &meta)
	}
	if err != nil || len(meta.Files) == 0 {
		t.Fatalf("registry metadata of %s: %v (%d files)", id, err, len(meta.Files))
	}
	for _, f := range meta.Files {
		p := filepath.Join(dir, f.Name)
		if got := sha256File(t, p); got != f.SHA256 {
			t.Errorf("%s changed: sha256 %s, imported as %s", p, got, f.SHA256)
		}
		if st, err := os.Stat(p); err != nil || st.Mode().Perm()&0o222 != 0 {
			t.Errorf("%s should be read-only: %v %v", p, st.Mode(), err)
		}
	}
}

func sha256File(t *testing.T, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// healthImage asks http://addr/healthz which image the demo service runs, retrying for up
// to two minutes while the VM finishes booting.
// machineFacts is what the demo service's /facts reports.
type machineFacts struct {
	RootReadOnly bool `json:"root_read_only"`
	Services     map[string]struct {
		Enabled string `json:"enabled"`
		Active  string `json:"active"`
	} `json:"services"`
	PackagesDigest string `json:"packages_digest"`
}

// facts asks the demo service at addr for its machine's facts about services.
func facts(t *testing.T, addr string, services string) machineFacts {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Get("http://" + addr + "/facts?services=" + services)
	if err != nil {
		t.Fatalf("facts of %s: %v", addr, err)
	}
	defer resp.Body.Close()
	var f machineFacts
	if err := json.NewDecoder(resp.Body).Decode(&f); err != nil || resp.StatusCode != 200 {
		t.Fatalf("facts of %s: status %d, %v", addr, resp.StatusCode, err)
	}
	return f
}

func healthImage(t *testing.T, addr string) string {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	var last error
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err != nil {
			last = err
			continue
		}
		var h struct{ Status, Image string }
		err = json.NewDecoder(resp.Body).Decode(&h)
		resp.Body.Close()
		if err == nil && h.Status == "ok" {
			return h.Image
		}
		last = fmt.Errorf("status %d, %v", resp.StatusCode, err)
	}
	t.Fatalf("GET http://%s/healthz: %v", addr, last)
	return ""
}

// sshRun runs command as root on the dev VM, pinning the host key its deployment output.
func (w *world) sshRun(t *testing.T, command string) string {
	t.Helper()
	r := w.record(t)
	var addr, hostKey string
	r.output(t, "dev", "ssh_address", &addr)
	r.output(t, "dev", "ssh_host_key", &hostKey)
	pinned, _, _, _, err := ssh.ParseAuthorizedKey([]byte(hostKey))
	if err != nil {
		t.Fatalf("dev's ssh_host_key %q: %v", hostKey, err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(w.dir, ".build", "ssh_key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.ParsePrivateKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	client, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.FixedHostKey(pinned), HostKeyAlgorithms: []string{pinned.Type()}, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatalf("ssh root@%s: %v", addr, err)
	}
	defer client.Close()
	sess, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out, err := sess.CombinedOutput(command)
	if err != nil {
		t.Fatalf("ssh root@%s %q: %v: %s", addr, command, err, out)
	}
	return string(out)
}
