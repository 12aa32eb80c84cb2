package registry

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/record"
)

var (
	gcpKey   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	gcpValue = regexp.MustCompile(`^[a-z0-9_-]{0,63}$`)
)

func TestProvenance(t *testing.T) {
	src := record.Source{Commit: "ABCDEF0123", Ref: "feature/X", TemplateSHA256: strings.Repeat("f", 64),
		PipelineURL: "https://gitlab.example.com/group/a-rather-long-project-name/-/pipelines/1234567",
		BaseImage:   "debian-12-bookworm-v20261001"}
	got := Provenance("web", "web-20260101-abcdef01", src)
	want := map[string]string{
		LabelFamily: "web", LabelName: "web-20260101-abcdef01", LabelSourceSHA: "abcdef0123", LabelSourceRef: "feature-x",
		LabelTemplateSHA: strings.Repeat("f", 63), LabelBaseImage: "debian-12-bookworm-v20261001",
		LabelPipeline: "xample-com-group-a-rather-long-project-name---pipelines-1234567", // the end, with the pipeline's number
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for k, v := range got {
		if !gcpKey.MatchString(k) || !gcpValue.MatchString(v) {
			t.Errorf("label %s=%s breaks GCP's rules", k, v)
		}
	}
	if l := Provenance("web", "n", record.Source{}); len(l) != 2 {
		t.Errorf("empty source gives %v", l)
	}
}
