package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/kiln-ci/kiln/internal/registry"
)

// descPrefix starts the description kiln gives each version of the SSM parameter.
const descPrefix = "kiln: promoted to "

// Pointer reads the family pointer: the tags of the family's AMIs, or the SSM parameter's
// version history.
func (r *Registry) Pointer(ctx context.Context, family string) (*registry.Family, error) {
	if r.pointer == PointerSSM {
		return r.ssmPointer(ctx, family)
	}
	images, err := r.List(ctx, family)
	if err != nil {
		return nil, err
	}
	f, _ := r.PointerFrom(family, images)
	return f, nil
}

// PointerFrom reads a tag pointer from a listing of the family (registry.PointerLister);
// ok is false for an SSM pointer.
func (r *Registry) PointerFrom(family string, images []registry.Image) (*registry.Family, bool) {
	if r.pointer == PointerSSM {
		return nil, false
	}
	f := &registry.Family{Name: family}
	for _, img := range images {
		if at := parseStamp(img.Labels[TagPromotedAt]); !at.IsZero() {
			f.History = append(f.History, registry.Promotion{ImageID: img.ID, Environment: img.Labels[TagPromotedEnv], At: at})
		}
	}
	sort.SliceStable(f.History, func(i, j int) bool { return f.History[i].At.Before(f.History[j].At) })
	if n := len(f.History); n > 0 {
		f.Current = f.History[n-1].ImageID
	}
	return f, true
}

func (r *Registry) ssmPointer(ctx context.Context, family string) (*registry.Family, error) {
	f := &registry.Family{Name: family}
	p := ssm.NewGetParameterHistoryPaginator(r.ssm, &ssm.GetParameterHistoryInput{Name: &r.parameter, MaxResults: aws.Int32(50)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		var nf *ssmtypes.ParameterNotFound
		if errors.As(err, &nf) {
			return f, nil
		}
		if err != nil {
			return nil, apiError(err, r.parameter, "read the history of parameter")
		}
		for _, v := range page.Parameters {
			f.History = append(f.History, registry.Promotion{ImageID: r.id(aws.ToString(v.Value)),
				Environment: strings.TrimPrefix(aws.ToString(v.Description), descPrefix), At: aws.ToTime(v.LastModifiedDate).UTC()})
		}
	}
	sort.SliceStable(f.History, func(i, j int) bool { return f.History[i].At.Before(f.History[j].At) })
	if n := len(f.History); n > 0 {
		f.Current = f.History[n-1].ImageID
	}
	return f, nil
}

// Point moves the family pointer to image id: one CreateTags, or one PutParameter (which
// AWS dates itself).
func (r *Registry) Point(ctx context.Context, family, id, environment string, at time.Time) (string, error) {
	ami, err := r.ami(id)
	if err != nil {
		return "", err
	}
	f, err := r.Pointer(ctx, family)
	if err != nil {
		return "", err
	}
	if f.Current == r.id(ami) {
		return f.Current, nil
	}
	if _, err := r.describe(ctx, id); err != nil {
		return "", err
	}
	if r.pointer == PointerSSM {
		_, err = r.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: &r.parameter, Value: &ami, Overwrite: aws.Bool(true),
			Type: ssmtypes.ParameterTypeString, DataType: aws.String("aws:ec2:image"), Description: aws.String(descPrefix + environment)})
		if err != nil {
			return "", apiError(err, r.parameter, "put parameter")
		}
		return f.Current, nil
	}
	if n := len(f.History); n > 0 && !at.After(f.History[n-1].At) {
		at = f.History[n-1].At.Add(time.Second) // the tag has one-second resolution
	}
	tags := map[string]string{TagPromotedAt: stamp(at), TagPromotedEnv: environment}
	if err := r.tag(ctx, ami, tags); err != nil {
		return "", apiError(err, id, fmt.Sprintf("point family %s at", family))
	}
	return f.Current, nil
}
