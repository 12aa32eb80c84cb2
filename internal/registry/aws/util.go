package aws

import (
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func parseStamp(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func tagList(keys []string) []types.Tag {
	sort.Strings(keys)
	out := make([]types.Tag, len(keys))
	for i, k := range keys {
		out[i] = types.Tag{Key: aws.String(k)}
	}
	return out
}

// apiError0 is apiError that keeps a nil error nil.
func apiError0(err error, id, what string) error {
	if err == nil {
		return nil
	}
	return apiError(err, id, what)
}
