package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/kiln-ci/kiln/internal/registry"
)

// tagRun is the owner tag (see internal/owner) that every instance a kiln tool starts
// carries; only instances with it are kiln's to list and terminate.
const tagRun = "kiln-run"

// terminateBatch is how many instances one TerminateInstances call ends: AWS takes up to
// 1000 and recommends smaller batches.
const terminateBatch = 100

// liveStates are the instance states OwnedInstances lists: all but shutting-down and
// terminated. A stopped instance still costs its volumes.
var liveStates = []string{"pending", "running", "stopping", "stopped"}

// OwnedInstances returns the region's instances that carry the kiln-run tag and are not
// shutting down or terminated, oldest first. Zone is the availability zone; Created is the
// launch time, which a stop and start moves forward.
func (r *Registry) OwnedInstances(ctx context.Context) ([]registry.OwnedInstance, error) {
	p := ec2.NewDescribeInstancesPaginator(r.ec2, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000), Filters: []types.Filter{
		{Name: aws.String("tag-key"), Values: []string{tagRun}},
		{Name: aws.String("instance-state-name"), Values: liveStates},
	}})
	var out []registry.OwnedInstance
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, apiError(err, r.region, "describe kiln's instances in")
		}
		for _, res := range page.Reservations {
			for _, in := range res.Instances {
				// Checked again: terminating is not undone, so the filters are not trusted alone.
				if o, ok := r.owned(in); ok {
					out = append(out, o)
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b registry.OwnedInstance) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// owned converts an instance, or returns false when it lacks the tag or is not live.
func (r *Registry) owned(in types.Instance) (registry.OwnedInstance, bool) {
	tags := map[string]string{}
	for _, t := range in.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if _, ok := tags[tagRun]; !ok || in.State == nil || !slices.Contains(liveStates, string(in.State.Name)) {
		return registry.OwnedInstance{}, false
	}
	zone := r.region
	if in.Placement != nil && aws.ToString(in.Placement.AvailabilityZone) != "" {
		zone = *in.Placement.AvailabilityZone
	}
	return registry.OwnedInstance{ID: aws.ToString(in.InstanceId), Name: tags["Name"], Zone: zone, Labels: tags,
		Created: aws.ToTime(in.LaunchTime).UTC()}, true
}

// TerminateInstances terminates insts by ID, in batches. One instance EC2 refuses fails its
// whole batch (an unknown id, termination protection), so a failed batch is retried one
// instance at a time, to end the others and name each that fails. An instance EC2 no
// longer knows counts as terminated. The error joins one error per instance not terminated.
func (r *Registry) TerminateInstances(ctx context.Context, insts []registry.OwnedInstance) error {
	var errs []error
	for start := 0; start < len(insts); start += terminateBatch {
		ids := make([]string, 0, terminateBatch)
		for _, in := range insts[start:min(start+terminateBatch, len(insts))] {
			ids = append(ids, in.ID)
		}
		err := r.terminate(ctx, ids...)
		if err == nil {
			continue
		}
		if len(ids) == 1 {
			errs = append(errs, err)
			continue
		}
		for _, id := range ids {
			if ctx.Err() != nil {
				return errors.Join(append(errs, fmt.Errorf("terminate instances: %w", ctx.Err()))...)
			}
			if err := r.terminate(ctx, id); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// terminate calls TerminateInstances for ids; an unknown id, alone, is no error.
func (r *Registry) terminate(ctx context.Context, ids ...string) error {
	_, err := r.ec2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
	if err == nil {
		return nil
	}
	var ae smithy.APIError
	if len(ids) == 1 && errors.As(err, &ae) && ae.ErrorCode() == "InvalidInstanceID.NotFound" {
		return nil
	}
	return apiError(err, strings.Join(ids, ", "), "terminate instance")
}
