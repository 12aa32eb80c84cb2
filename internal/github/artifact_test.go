package github

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
)

// TestArtifactDownload: the archive comes from the storage GitHub redirects to, fetched
// without the Authorization header (the fake's storage refuses one), and unzipped in memory.
func TestArtifactDownload(t *testing.T) {
	w := happy(t)
	c := w.client(t)
	a := &Artifact{ID: w.artifact, Name: "kiln-record", RunID: w.run}
	data, err := c.ArtifactFile(context.Background(), a, "kiln.env")
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "KILN_IMAGE_ID="+imageID+"\n" {
		t.Fatalf("kiln.env: %q", data)
	}
	var api, storage int
	for _, r := range w.fake.Requests() {
		switch {
		case strings.HasPrefix(r, "GET /repos/acme/web/actions/artifacts/1005/zip") && strings.HasSuffix(r, "[Bearer]"):
			api++
		case strings.HasPrefix(r, "GET /_storage/1005?"):
			storage++
			if strings.Contains(r, "[") {
				t.Fatalf("the storage got an Authorization header: %s", r)
			}
		}
	}
	if api != 1 || storage != 1 {
		t.Fatalf("want one API request and one storage request: %v", w.fake.Requests())
	}
}

// TestArtifactRefused: an artifact GitHub no longer serves (410) and a record bigger than a
// record may be are exit 6, without decompressing the whole file.
func TestArtifactRefused(t *testing.T) {
	w := happy(t)
	c := w.client(t)
	w.fake.ExpireArtifact(w.artifact)
	_, err := c.ArtifactFile(context.Background(), &Artifact{ID: w.artifact, Name: "kiln-record", RunID: w.run}, "kiln-image.json")
	if exitcode.Of(err) != exitcode.RecordInvalid || !strings.Contains(err.Error(), "run 1001 has no artifact kiln-record any more") {
		t.Fatalf("expired: %v", err)
	}
	big := w.fake.AddArtifact(t, w.run, "big", map[string][]byte{"kiln-image.json": bytes.Repeat([]byte(" "), record.MaxSize+1)})
	_, err = c.ArtifactFile(context.Background(), &Artifact{ID: big, Name: "big", RunID: w.run}, "kiln-image.json")
	if exitcode.Of(err) != exitcode.RecordInvalid || !strings.Contains(err.Error(), "is more than the 8388608 a record may have") {
		t.Fatalf("big: %v", err)
	}
}
