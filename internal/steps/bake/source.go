package bake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
)

// source describes the commit being baked: the CI's variables, else KILN_SOURCE_SHA/REF,
// else git in kiln.yaml's directory.
func source(ctx context.Context, r *step.Run) (record.Source, error) {
	info := r.CI.Info()
	src := record.Source{Repo: info.Repo, Commit: r.SourceCommit(), Ref: info.Ref, PipelineURL: info.PipelineURL}
	if v := r.Env.Getenv("KILN_SOURCE_REF"); v != "" {
		src.Ref = v
	}
	if src.Commit == "" {
		src.Commit = r.Git(ctx, "rev-parse", "HEAD")
	}
	if src.Ref == "" {
		src.Ref = r.Git(ctx, "rev-parse", "--abbrev-ref", "HEAD")
	}
	if src.Repo == "" {
		src.Repo = r.Git(ctx, "config", "--get", "remote.origin.url")
	}
	if src.Commit == "" && r.GitDubious(ctx) {
		return src, exitcode.New(exitcode.Usage, "source commit unknown: git refuses %s, which another user owns (git's \"dubious ownership\"): "+
			"trust it with git config --global --add safe.directory %s, or set KILN_SOURCE_SHA", r.Config.Dir, r.Config.Dir)
	}
	if src.Commit == "" {
		return src, exitcode.New(exitcode.Usage, "source commit unknown: run in a git checkout or set KILN_SOURCE_SHA")
	}
	return src, nil
}

// templateSuffixes name the files of a template directory the digest covers: those Packer
// loads (*.pkr.hcl, *.pkr.json, *.auto.pkrvars.*) and the other variable files, which
// packer.var_files usually names.
var templateSuffixes = []string{".pkr.hcl", ".pkr.json", ".pkrvars.hcl", ".pkrvars.json"}

// TemplateDigest is the SHA-256 of a template file, or, for a directory, of the sorted
// "sha256  name" lines of its template and variable files (*.pkr.hcl, *.pkr.json,
// *.pkrvars.hcl, *.pkrvars.json; not subdirectories, scripts or other files).
func TemplateDigest(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("packer template: %w", err)
	}
	if !st.IsDir() {
		return fileDigest(path)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return "", fmt.Errorf("packer template: %w", err)
	}
	var names []string
	for _, e := range entries {
		for _, s := range templateSuffixes {
			if !e.IsDir() && strings.HasSuffix(e.Name(), s) {
				names = append(names, e.Name())
				break
			}
		}
	}
	if len(names) == 0 {
		return "", fmt.Errorf("packer template %s: no *.pkr.hcl or *.pkr.json file", path)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		d, err := fileDigest(filepath.Join(path, n))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s  %s\n", d, n)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func fileDigest(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("packer template: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
