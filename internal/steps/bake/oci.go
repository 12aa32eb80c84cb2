package bake

import (
	"context"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry/oci"
	"github.com/kiln-ci/kiln/internal/step"
)

// pushOCI pushes a file image's files to the OCI registry kiln.yaml names (registry.type
// oci) and returns its id, oci:<repository>@sha256:<manifest digest>. The hashes the record
// already holds spare reading each file twice; the registry checks them.
func pushOCI(ctx context.Context, r *step.Run, paths []string, artifacts []record.Artifact, name string, labels map[string]string) (string, error) {
	reg, err := oci.Open(ctx, r.Config, r.Lookup, r.Env.Dir, r.Env.Now)
	if err != nil {
		return "", err
	}
	hashed := map[string]record.File{}
	for _, a := range artifacts {
		for _, f := range a.Files {
			hashed[f.Path] = f
		}
	}
	files := make([]oci.File, len(paths))
	var size int64
	for i, p := range paths {
		files[i].Path = p
		if f, ok := hashed[p]; ok {
			files[i].Digest, files[i].Size = digest.NewDigestFromEncoded(digest.SHA256, f.SHA256), f.Size
			size += f.Size
		}
	}
	r.Logf("pushing %s (%d file(s), %.1f MB) to %s (credentials: %s)", name, len(files), float64(size)/1e6, reg.Repository(), reg.CredentialSource())
	start := time.Now()
	img, err := reg.PushFiles(ctx, files, name, r.Config.Image.Family, labels)
	if err != nil {
		return "", err
	}
	r.Logf("pushed %s in %s", img.ID, time.Since(start).Round(time.Millisecond))
	return img.ID, nil
}
