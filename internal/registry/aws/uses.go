package aws

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/kiln-ci/kiln/internal/registry"
)

// filterValues is the most values one DescribeInstances filter takes.
const filterValues = 200

// Uses finds which of images the account runs or may launch: instances that are not
// terminated, every version of every launch template, every launch configuration. The first
// listing that fails leaves every image's use unknown, with the reason.
func (r *Registry) Uses(ctx context.Context, images []registry.Image) (registry.Uses, error) {
	var u registry.Uses
	byAMI := map[string]string{}
	var amis []string
	for _, img := range images {
		if ami, err := r.ami(img.ID); err == nil {
			byAMI[ami] = img.ID
			amis = append(amis, ami)
		}
	}
	for _, step := range []struct {
		what string
		run  func() error
	}{
		{"instances", func() error { return r.instanceUses(ctx, amis, byAMI, &u) }},
		{"launch templates", func() error { return r.templateUses(ctx, byAMI, &u) }},
		{"launch configurations", func() error { return r.configUses(ctx, byAMI, &u) }},
	} {
		if err := step.run(); err != nil {
			u.UnknownAll(images, "listing "+step.what+" failed: "+err.Error())
			return u, nil
		}
	}
	return u, nil
}

func (r *Registry) instanceUses(ctx context.Context, amis []string, byAMI map[string]string, u *registry.Uses) error {
	for start := 0; start < len(amis); start += filterValues {
		chunk := amis[start:min(start+filterValues, len(amis))]
		p := ec2.NewDescribeInstancesPaginator(r.ec2, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000), Filters: []types.Filter{
			{Name: aws.String("image-id"), Values: chunk},
			{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "shutting-down", "stopping", "stopped"}},
		}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return apiError(err, r.region, "describe instances in")
			}
			for _, res := range page.Reservations {
				for _, in := range res.Instances {
					if id, ok := byAMI[aws.ToString(in.ImageId)]; ok {
						u.Add(id, "instance "+aws.ToString(in.InstanceId))
					}
				}
			}
		}
	}
	return nil
}

func (r *Registry) templateUses(ctx context.Context, byAMI map[string]string, u *registry.Uses) error {
	resolved := map[string]string{} // resolve:ssm: reference -> AMI
	p := ec2.NewDescribeLaunchTemplatesPaginator(r.ec2, &ec2.DescribeLaunchTemplatesInput{MaxResults: aws.Int32(200)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return apiError(err, r.region, "describe launch templates in")
		}
		for _, lt := range page.LaunchTemplates {
			vp := ec2.NewDescribeLaunchTemplateVersionsPaginator(r.ec2, &ec2.DescribeLaunchTemplateVersionsInput{
				LaunchTemplateId: lt.LaunchTemplateId, MaxResults: aws.Int32(200)})
			for vp.HasMorePages() {
				vpage, err := vp.NextPage(ctx)
				if err != nil {
					return apiError(err, aws.ToString(lt.LaunchTemplateName), "describe the versions of launch template")
				}
				for _, v := range vpage.LaunchTemplateVersions {
					if v.LaunchTemplateData == nil || v.LaunchTemplateData.ImageId == nil {
						continue
					}
					ami, err := r.resolve(ctx, *v.LaunchTemplateData.ImageId, resolved)
					if err != nil {
						return err
					}
					if id, ok := byAMI[ami]; ok {
						u.Add(id, fmt.Sprintf("launch template %s version %d", aws.ToString(lt.LaunchTemplateName), aws.ToInt64(v.VersionNumber)))
					}
				}
			}
		}
	}
	return nil
}

// resolve turns a launch template's image id into an AMI id: as it is, or, for
// resolve:ssm:NAME, the parameter's value.
func (r *Registry) resolve(ctx context.Context, ref string, cache map[string]string) (string, error) {
	name, ok := strings.CutPrefix(ref, "resolve:ssm:")
	if !ok {
		return ref, nil
	}
	if ami, ok := cache[name]; ok {
		return ami, nil
	}
	out, err := r.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		return "", apiError(err, name, "resolve the launch template image parameter")
	}
	cache[name] = aws.ToString(out.Parameter.Value)
	return cache[name], nil
}

func (r *Registry) configUses(ctx context.Context, byAMI map[string]string, u *registry.Uses) error {
	p := autoscaling.NewDescribeLaunchConfigurationsPaginator(r.asg, &autoscaling.DescribeLaunchConfigurationsInput{MaxRecords: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return apiError(err, r.region, "describe launch configurations in")
		}
		for _, lc := range page.LaunchConfigurations {
			if id, ok := byAMI[aws.ToString(lc.ImageId)]; ok {
				u.Add(id, "launch configuration "+aws.ToString(lc.LaunchConfigurationName))
			}
		}
	}
	return nil
}
