package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/aws"
	"github.com/kiln-ci/kiln/internal/registry/aws/awsfake"
	"github.com/kiln-ci/kiln/internal/registry/gcp"
	"github.com/kiln-ci/kiln/internal/registry/gcp/gcpfake"
)

// cloudCase is one cloud's fake, seen from kiln's binaries.
type cloudCase struct {
	name     string
	registry string            // kiln.yaml's registry block
	env      map[string]string // what points kiln at the fake
	id       func(n int) string
	open     func(t *testing.T) registry.Registry
	setup    func(t *testing.T, images int, created func(n int) time.Time, runs func(n int))
	state    func(n int) string // the image's state in the fake, "" when gone
}

// TestRotateCloudFakes: kiln-rotate, the binary, against the GCP and AWS fakes with the
// fast fixture's Terraform states: the image prod's state names, the image an instance
// runs and the family's current image stay; the old others are deprecated.
func TestRotateCloudFakes(t *testing.T) {
	now := time.Now().UTC()
	created := func(n int) time.Time { return now.AddDate(0, 0, -105+10*n) } // 0..9: 105 to 15 days old
	for _, c := range []cloudCase{gcpCase(t), awsCase(t)} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			cfg := strings.Replace(w.prodSeedable(), "packer:\n", c.registry+"packer:\n", 1)
			writeFile(t, filepath.Join(w.dir, "kiln.yaml"), cfg+"lifecycle:\n  keep: 1\n  deprecate_after: 30d\n")
			c.setup(t, 10, created, func(n int) {})
			rec := record.New(record.Image{ID: c.id(3), Name: "demo-web-003", Family: "demo-web", Provider: c.name, Builder: c.name},
				record.Source{Commit: strings.Repeat("d", 40)}, now)
			if err := record.Write(filepath.Join(w.dir, "kiln-image.json"), rec); err != nil {
				t.Fatal(err)
			}
			must(t, w.dir, "deploy-dev", c.env, "--environment", "prod")
			reg := c.open(t)
			if _, err := reg.Point(context.Background(), "demo-web", c.id(8), "prod", now.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			dry := must(t, w.dir, "rotate", c.env)
			r := must(t, w.dir, "rotate", c.env, "--apply")
			if planLinesOf(dry.stdout, c.id(0)) != planLinesOf(r.stdout, c.id(0)) {
				t.Fatalf("dry run and apply differ:\n%s\n%s", dry.stdout, r.stdout)
			}
			for n, want := range map[int]string{3: "in use: environment prod: terraform_data.vm", 5: "in use: ", 8: "current image", 9: "one of the 1 newest"} {
				if !strings.Contains(lineOf(r.stdout, c.id(n)), want) {
					t.Errorf("image %d: %q, want %q", n, lineOf(r.stdout, c.id(n)), want)
				}
			}
			for n := 0; n < 10; n++ {
				want := "DEPRECATED"
				switch {
				case n == 3 || n == 5 || n == 8 || n == 9:
					want = "READY"
				case n > 7: // less than 30 days old
					want = "READY"
				}
				if got := c.state(n); got != want {
					t.Errorf("image %d is %s in the fake, want %s\n%s", n, got, want, r.stdout)
				}
			}
		})
	}
}

func planLinesOf(stdout, prefix string) string {
	var out []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, prefix[:4]) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func gcpCase(t *testing.T) cloudCase {
	f := gcpfake.New(t, "acme")
	f.Token = "fake-token"
	f.PageSize = 3
	name := func(n int) string { return fmt.Sprintf("demo-web-%03d", n) }
	return cloudCase{
		name:     "gcp",
		registry: "registry:\n  type: gcp\n  project: acme\n",
		env:      map[string]string{"KILN_GCP_ENDPOINT": f.Endpoint(), "GOOGLE_OAUTH_ACCESS_TOKEN": "fake-token"},
		id:       name,
		open: func(t *testing.T) registry.Registry {
			f.Token = ""
			reg, err := gcp.New(context.Background(), gcp.Options{Project: "acme", Endpoint: f.Endpoint(), HTTPClient: f.Client()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Token = "fake-token" })
			return &restoreToken{reg, f}
		},
		setup: func(t *testing.T, images int, created func(int) time.Time, _ func(int)) {
			for n := 0; n < images; n++ {
				f.AddImage(gcpfake.Image{Name: name(n), Family: "demo-web", Created: created(n)})
			}
			f.AddInstance("vm-1", name(5))
		},
		state: func(n int) string {
			img := f.Image(name(n))
			switch {
			case img == nil:
				return ""
			case img.Deprecated == nil:
				return "READY"
			}
			return img.Deprecated.State
		},
	}
}

// restoreToken turns the fake's token check back on once the test's own call is made.
type restoreToken struct {
	registry.Registry
	f *gcpfake.Fake
}

func (r *restoreToken) Point(ctx context.Context, family, id, env string, at time.Time) (string, error) {
	defer func() { r.f.Token = "fake-token" }()
	return r.Registry.Point(ctx, family, id, env, at)
}

func awsCase(t *testing.T) cloudCase {
	f := awsfake.New(t)
	f.PageSize = 4
	ami := func(n int) string { return fmt.Sprintf("ami-%017x", n+1) }
	return cloudCase{
		name:     "aws",
		registry: "registry:\n  type: aws\n  region: us-east-1\n",
		env: map[string]string{"KILN_AWS_ENDPOINT": f.Endpoint(), "AWS_ACCESS_KEY_ID": "AKIDFAKE", "AWS_SECRET_ACCESS_KEY": "fake-secret",
			"AWS_EC2_METADATA_DISABLED": "true"},
		id: func(n int) string { return "us-east-1:" + ami(n) },
		open: func(t *testing.T) registry.Registry {
			reg, err := aws.New(context.Background(), aws.Options{Region: "us-east-1", Endpoint: f.Endpoint(), HTTPClient: f.Client(),
				Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", "")})
			if err != nil {
				t.Fatal(err)
			}
			return reg
		},
		setup: func(t *testing.T, images int, created func(int) time.Time, _ func(int)) {
			for n := 0; n < images; n++ {
				f.AddImage(awsfake.Image{ID: ami(n), Name: fmt.Sprintf("demo-web-%03d", n), Created: created(n),
					Tags: map[string]string{"kiln-family": "demo-web"}, Snapshots: []string{fmt.Sprintf("snap-%d", n)}})
			}
			f.RunInstance("i-0123", ami(5))
		},
		state: func(n int) string {
			img := f.Image(ami(n))
			if img == nil {
				return ""
			}
			if s := img.Tags["kiln-state"]; s != "" {
				return s
			}
			return "READY"
		},
	}
}
