package terraform

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// stampFile is where InitOnce keeps the sum of what the last successful init saw.
const stampFile = "kiln-init.stamp"

// InitOnce runs terraform init with the backend unless nothing init depends on changed
// since the last successful init in this data directory: the terraform binary, the
// configuration's .tf and .tf.json files and dependency lock file, the backend settings
// (the -backend-config file and the TF_HTTP_* variables but the password) and the CLI
// configuration file. It reports whether init ran.
func (t *TF) InitOnce(ctx context.Context) (bool, error) {
	if t.o.DataDir == "" {
		return true, t.Init(ctx, true)
	}
	stamp := filepath.Join(t.o.DataDir, stampFile)
	sum, err := t.initSum()
	if err == nil {
		if old, rerr := os.ReadFile(stamp); rerr == nil && string(old) == sum {
			return false, nil
		}
	}
	os.Remove(stamp) // an init that fails half-way must not leave the old stamp
	if err := t.Init(ctx, true); err != nil {
		return true, err
	}
	if sum != "" {
		_ = os.WriteFile(stamp, []byte(sum), 0o644)
	}
	return true, nil
}

// initSum hashes what terraform init depends on ("" when something cannot be read).
func (t *TF) initSum() (string, error) {
	h := sha256.New()
	// The backend file lives in a new private directory each run: hashed under a fixed name.
	files := []string{t.o.Exec, t.o.Env["TF_CLI_CONFIG_FILE"], filepath.Join(t.o.Dir, ".terraform.lock.hcl")}
	if t.o.BackendFile != "" {
		data, err := os.ReadFile(t.o.BackendFile)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "backend %x\n", sha256.Sum256(data))
	}
	entries, err := os.ReadDir(t.o.Dir)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && (strings.HasSuffix(n, ".tf") || strings.HasSuffix(n, ".tf.json")) {
			files = append(files, filepath.Join(t.o.Dir, n))
		}
	}
	for _, f := range files {
		if f == "" {
			continue
		}
		if f == t.o.Exec {
			st, err := os.Stat(f)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(h, "exec %s %d %d\n", f, st.Size(), st.ModTime().UnixNano())
			continue
		}
		data, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			fmt.Fprintf(h, "%s absent\n", f)
			continue
		}
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %x\n", f, sha256.Sum256(data))
	}
	var keys []string
	for k := range t.o.Env {
		if strings.HasPrefix(k, "TF_HTTP_") && k != "TF_HTTP_PASSWORD" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s\n", k, t.o.Env[k])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
