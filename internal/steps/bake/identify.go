package bake

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/packer"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/local"
	"github.com/kiln-ci/kiln/internal/step"
)

// identify picks the image among Packer's artifacts (packer.build in kiln.yaml, else the
// first with an identity) and gives it its id: file images are imported into the local
// registry or pushed to the OCI registry (oci.go), cloud images keep Packer's id.
func identify(ctx context.Context, r *step.Run, cfg *config.Config, tmpl packer.Template, res packer.Result, name string, src record.Source) (record.Image, error) {
	dir := tmpl.Path
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = filepath.Dir(dir)
	}
	img := record.Image{Name: name, Family: cfg.Image.Family, Provider: cfg.Registry.Type}
	var chosen *packer.Artifact
	seen := map[string]bool{}
	for i := range res.Artifacts {
		a := &res.Artifacts[i]
		// A post-processor such as manifest passes the builder's artifact through: Packer
		// then reports it twice, at index 0 and 1.
		k := a.Build + "\x00" + a.ID + "\x00" + strings.Join(a.Files, "\x00")
		if seen[k] {
			continue
		}
		seen[k] = true
		img.Artifacts = append(img.Artifacts, artifactRecords(dir, *a)...)
		usable := packer.HasIdentity(*a) || packer.IsFileArtifact(*a)
		if chosen == nil && usable && (cfg.Packer.Build == "" || cfg.Packer.Build == a.Build) {
			chosen = a
		}
	}
	if chosen == nil {
		if cfg.Packer.Build != "" {
			return img, fmt.Errorf("packer build: no artifact from build %q (packer.build in %s)", cfg.Packer.Build, cfg.File)
		}
		return img, fmt.Errorf("packer build: no artifact with an image id or files (%d artifacts)", len(res.Artifacts))
	}
	img.Builder = builderType(*chosen)
	img.Labels = labels(name, cfg, src)
	if !packer.IsFileArtifact(*chosen) {
		img.ID = chosen.ID
		return img, nil
	}
	if cfg.Registry.Type == "oci" {
		id, err := pushOCI(ctx, r, absFiles(dir, chosen.Files), img.Artifacts, name, img.Labels)
		img.ID = id
		return img, err
	}
	reg, err := local.Open(r.Config, r.Lookup, r.Env.Dir, r.Env.Now)
	if err != nil {
		return img, err
	}
	stored, err := reg.Import(absFiles(dir, chosen.Files), name, cfg.Image.Family, img.Labels)
	if err != nil {
		return img, err
	}
	img.ID = stored.ID
	return img, nil
}

func artifactRecords(dir string, a packer.Artifact) []record.Artifact {
	var files []record.File
	for _, f := range absFiles(dir, a.Files) {
		sum, size, err := local.HashFile(f)
		if err != nil {
			continue // a file Packer listed but did not leave behind
		}
		files = append(files, record.File{Path: f, SHA256: sum, Size: size})
	}
	parts := packer.SplitArtifactID(a.ID)
	if len(parts) == 0 || !packer.HasIdentity(a) {
		return []record.Artifact{{Build: a.Build, BuilderID: a.BuilderID, ID: a.ID, Files: files}}
	}
	out := make([]record.Artifact, 0, len(parts))
	for _, p := range parts {
		out = append(out, record.Artifact{Build: a.Build, BuilderID: a.BuilderID, ID: p.ID, Region: p.Region, Files: files})
	}
	return out
}

// builderType is the source type of a build name such as "qemu.app" -> "qemu".
func builderType(a packer.Artifact) string {
	b, _, _ := strings.Cut(a.Build, ".")
	return b
}

// labels are the image's provenance (registry.Provenance): family, name, source commit
// and ref, template SHA-256, pipeline and base image, within GCP's label rules, which AWS
// tags also accept.
func labels(name string, cfg *config.Config, src record.Source) map[string]string {
	return registry.Provenance(cfg.Image.Family, name, src)
}
