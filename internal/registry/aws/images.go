package aws

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/kiln-ci/kiln/internal/registry"
)

// List returns the account's AMIs tagged kiln-family=family, deprecated and disabled ones
// included, oldest first.
func (r *Registry) List(ctx context.Context, family string) ([]registry.Image, error) {
	in := &ec2.DescribeImagesInput{Owners: []string{"self"}, IncludeDeprecated: aws.Bool(true), IncludeDisabled: aws.Bool(true),
		MaxResults: aws.Int32(1000), Filters: []types.Filter{{Name: aws.String("tag:" + registry.LabelFamily), Values: []string{family}}}}
	var out []registry.Image
	p := ec2.NewDescribeImagesPaginator(r.ec2, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, apiError(err, family, "list images of family")
		}
		for _, img := range page.Images {
			out = append(out, r.generic(img))
		}
	}
	registry.SortByCreated(out)
	return out, nil
}

// Lookup returns image id ("region:ami-..." or "ami-...").
func (r *Registry) Lookup(ctx context.Context, id string) (*registry.Image, error) {
	img, err := r.describe(ctx, id)
	if err != nil {
		return nil, err
	}
	g := r.generic(img)
	return &g, nil
}

func (r *Registry) describe(ctx context.Context, id string) (types.Image, error) {
	ami, err := r.ami(id)
	if err != nil {
		return types.Image{}, err
	}
	out, err := r.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{ami},
		IncludeDeprecated: aws.Bool(true), IncludeDisabled: aws.Bool(true)})
	if err != nil {
		return types.Image{}, apiError(err, id, "describe image")
	}
	if len(out.Images) == 0 {
		return types.Image{}, registry.NotFound(id, "EC2")
	}
	return out.Images[0], nil
}

// SetState moves image id to DEPRECATED (EnableImageDeprecation), OBSOLETE (DisableImage)
// or READY (both undone), then records the state and dates in tags.
func (r *Registry) SetState(ctx context.Context, id string, state registry.State, dates registry.Dates) error {
	ami, err := r.ami(id)
	if err != nil {
		return err
	}
	switch state {
	case registry.Deprecated:
		_, err = r.ec2.EnableImageDeprecation(ctx, &ec2.EnableImageDeprecationInput{ImageId: &ami, DeprecateAt: aws.Time(deprecateAt(dates.Deprecated))})
	case registry.Obsolete:
		_, err = r.ec2.DisableImage(ctx, &ec2.DisableImageInput{ImageId: &ami})
	case registry.Ready:
		err = r.undeprecate(ctx, id, ami)
	default:
		return fmt.Errorf("set state of %s: %q is not READY, DEPRECATED or OBSOLETE", id, state)
	}
	if err != nil {
		return apiError(err, id, "set state "+string(state)+" of image")
	}
	tags := map[string]string{TagState: string(state)}
	var drop []string
	for k, t := range map[string]time.Time{TagDeprecatedAt: dates.Deprecated, TagObsoleteAt: dates.Obsolete, TagDeletedAt: dates.Deleted} {
		if t.IsZero() {
			drop = append(drop, k)
		} else {
			tags[k] = stamp(t)
		}
	}
	if err := r.tag(ctx, ami, tags); err != nil {
		return apiError(err, id, "tag image")
	}
	if state == registry.Ready {
		_, err = r.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{ami}, Tags: tagList(drop)})
		return apiError0(err, id, "untag image")
	}
	return nil
}

func (r *Registry) undeprecate(ctx context.Context, id, ami string) error {
	img, err := r.describe(ctx, id)
	if err != nil {
		return err
	}
	if img.State == types.ImageStateDisabled {
		if _, err := r.ec2.EnableImage(ctx, &ec2.EnableImageInput{ImageId: &ami}); err != nil {
			return err
		}
	}
	if img.DeprecationTime != nil {
		_, err = r.ec2.DisableImageDeprecation(ctx, &ec2.DisableImageDeprecationInput{ImageId: &ami})
	}
	return err
}

// Delete deregisters image id, then deletes each of its EBS snapshots. A snapshot that
// cannot be deleted is an error naming it; the AMI is gone by then.
func (r *Registry) Delete(ctx context.Context, id string, _ time.Time) error {
	img, err := r.describe(ctx, id)
	if err != nil {
		return err
	}
	if _, err := r.ec2.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: img.ImageId}); err != nil {
		return apiError(err, id, "deregister image")
	}
	for _, b := range img.BlockDeviceMappings {
		if b.Ebs == nil || b.Ebs.SnapshotId == nil {
			continue
		}
		if _, err := r.ec2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: b.Ebs.SnapshotId}); err != nil {
			return apiError(err, id, "image deregistered, but delete its snapshot "+*b.Ebs.SnapshotId+" of")
		}
	}
	return nil
}

// Label tags image id (AWS accepts the values kiln's labels hold as they are).
func (r *Registry) Label(ctx context.Context, id string, labels map[string]string) error {
	ami, err := r.ami(id)
	if err != nil {
		return err
	}
	return apiError0(r.tag(ctx, ami, labels), id, "tag image")
}

func (r *Registry) tag(ctx context.Context, ami string, tags map[string]string) error {
	var list []types.Tag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		list = append(list, types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	_, err := r.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{ami}, Tags: list})
	return err
}

// generic converts an AMI. kiln's tags give its state and dates; AWS's own state wins
// when it is further along (disabled: OBSOLETE; a deprecation time: DEPRECATED).
func (r *Registry) generic(img types.Image) registry.Image {
	tags := map[string]string{}
	for _, t := range img.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	ami := aws.ToString(img.ImageId)
	g := registry.Image{ID: r.id(ami), Name: aws.ToString(img.Name), Family: tags[registry.LabelFamily],
		Created: parseStamp(aws.ToString(img.CreationDate)), Labels: tags, Refs: []string{ami},
		State: registry.Ready, Dates: registry.Dates{Deprecated: parseStamp(tags[TagDeprecatedAt]),
			Obsolete: parseStamp(tags[TagObsoleteAt]), Deleted: parseStamp(tags[TagDeletedAt])}}
	if s := registry.State(tags[TagState]); s == registry.Deprecated || s == registry.Obsolete {
		g.State = s
	}
	if img.DeprecationTime != nil && g.State.Rank() < registry.Deprecated.Rank() {
		g.State = registry.Deprecated
		if g.Dates.Deprecated.IsZero() {
			g.Dates.Deprecated = parseStamp(*img.DeprecationTime)
		}
	}
	if img.State == types.ImageStateDisabled && g.State.Rank() < registry.Obsolete.Rank() {
		g.State = registry.Obsolete
	}
	return g
}

// deprecateAt is the time to ask EnableImageDeprecation for: AWS refuses a time in the past
// and rounds to the minute, so the next whole minute after at.
func deprecateAt(at time.Time) time.Time {
	return at.UTC().Truncate(time.Minute).Add(time.Minute)
}
