package bake

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry/aws/awsfake"
	"github.com/kiln-ci/kiln/internal/registry/gcp/gcpfake"
	"github.com/kiln-ci/kiln/internal/step"
)

func cloudRun(t *testing.T, registryYAML string, vars map[string]string) *step.Run {
	t.Helper()
	cfg, err := config.Parse([]byte("version: 1\nimage: {family: web}\n"+registryYAML+"packer: {template: p}\nenvironments: {dev: {terraform: t}}\n"),
		"kiln.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &step.Run{Env: step.MapEnv(vars, t.TempDir(), io.Discard, io.Discard, time.Now), Config: cfg, ChildEnv: map[string]string{}, Log: io.Discard}
}

// TestLabelCloudImage: bake puts the provenance labels on the cloud image itself; an AMI
// copied to another region is labelled in the registry's region only.
func TestLabelCloudImage(t *testing.T) {
	labels := map[string]string{"kiln-family": "web", "kiln-source-sha": "0123abcd", "kiln-pipeline": "gitlab-example-com-g-p---pipelines-42"}

	g := gcpfake.New(t, "acme")
	g.AddImage(gcpfake.Image{Name: "web-1", Family: "web", Created: time.Now(), Labels: map[string]string{"other": "x"}})
	r := cloudRun(t, "registry: {type: gcp, project: acme}\n", map[string]string{"KILN_GCP_ENDPOINT": g.Endpoint(), "GOOGLE_OAUTH_ACCESS_TOKEN": "t"})
	if err := labelCloudImage(context.Background(), r, record.Image{ID: "web-1", Labels: labels}); err != nil {
		t.Fatal(err)
	}
	if got := g.Image("web-1").Labels; got["kiln-pipeline"] != labels["kiln-pipeline"] || got["other"] != "x" {
		t.Fatalf("GCP labels %v", got)
	}

	a := awsfake.New(t)
	for _, id := range []string{"ami-1", "ami-2"} {
		a.AddImage(awsfake.Image{ID: id, Created: time.Now()})
	}
	r = cloudRun(t, "registry: {type: aws, region: us-east-1}\n", map[string]string{"KILN_AWS_ENDPOINT": a.Endpoint(),
		"AWS_ACCESS_KEY_ID": "AKIDFAKE", "AWS_SECRET_ACCESS_KEY": "s"})
	if err := labelCloudImage(context.Background(), r, record.Image{ID: "us-east-1:ami-1,eu-west-1:ami-2", Labels: labels}); err != nil {
		t.Fatal(err)
	}
	if a.Image("ami-1").Tags["kiln-source-sha"] != "0123abcd" || len(a.Image("ami-2").Tags) != 0 {
		t.Fatalf("AWS tags %v / %v", a.Image("ami-1").Tags, a.Image("ami-2").Tags)
	}
	if err := labelCloudImage(context.Background(), r, record.Image{ID: "us-east-1:ami-9", Labels: labels}); err == nil {
		t.Fatal("labelling a missing AMI is no error")
	}
}
