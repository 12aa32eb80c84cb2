package registry

import (
	"strings"

	"github.com/kiln-ci/kiln/internal/record"
)

// MaxLabel is the longest label key or value GCP accepts; AWS tags accept longer ones.
const MaxLabel = 63

// The labels kiln puts on every image it bakes, so that any image leads back to its commit.
const (
	LabelFamily      = "kiln-family"
	LabelName        = "kiln-name"
	LabelSourceSHA   = "kiln-source-sha"
	LabelSourceRef   = "kiln-source-ref"
	LabelTemplateSHA = "kiln-template-sha256"
	LabelPipeline    = "kiln-pipeline"
	LabelBaseImage   = "kiln-base-image"
)

// Provenance returns the labels of an image baked from src, every value within GCP's label
// rules (which AWS tags also accept): lowercase letters, digits, - and _, at most 63
// characters. The full values stay in the record.
func Provenance(family, name string, src record.Source) map[string]string {
	l := map[string]string{LabelFamily: family, LabelName: LabelValue(name)}
	add := func(k, v string, keepTail bool) {
		if v == "" {
			return
		}
		if keepTail {
			l[k] = labelTail(v)
		} else {
			l[k] = LabelValue(v)
		}
	}
	add(LabelSourceSHA, src.Commit, false)
	add(LabelSourceRef, src.Ref, false)
	add(LabelTemplateSHA, src.TemplateSHA256, false)
	add(LabelPipeline, src.PipelineURL, true)
	add(LabelBaseImage, src.BaseImage, true)
	return l
}

// LabelValue maps v into GCP's label value rules: lowercase, other characters than
// [a-z0-9_-] become -, cut to 63 characters.
func LabelValue(v string) string {
	b := []byte(strings.ToLower(v))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	if len(b) > MaxLabel {
		b = b[:MaxLabel]
	}
	return string(b)
}

// labelTail is LabelValue for URLs and paths, whose end says the most (a pipeline's
// number, an image's version): the scheme goes, and a long value keeps its last 63
// characters.
func labelTail(v string) string {
	if _, rest, ok := strings.Cut(v, "://"); ok {
		v = rest
	}
	if len(v) > MaxLabel {
		v = v[len(v)-MaxLabel:]
	}
	return strings.TrimLeft(LabelValue(v), "-_")
}
