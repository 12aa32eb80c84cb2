package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/owner"
	"github.com/kiln-ci/kiln/internal/registry/aws/awsfake"
	"github.com/kiln-ci/kiln/internal/registry/gcp/gcpfake"
)

// sweepCloud is one cloud's fake as TestSweepCloud uses it.
type sweepCloud struct {
	name, registry string
	env            map[string]string
	add            func(name string, l map[string]string) // an instance with these labels
	alive          func(name string) bool
}

// TestSweepCloud: kiln-sweep against the AWS and GCP fakes terminates the instances kiln
// labelled whose TTL ended and the build VM of a bake that died on this host, and leaves
// alone a live build VM, a dev instance of a finished deploy within its TTL, prod's instance
// (no TTL) and an instance kiln did not label.
func TestSweepCloud(t *testing.T) {
	host, _ := os.Hostname()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	later, earlier := strconv.FormatInt(now.Add(time.Hour).Unix(), 10), strconv.FormatInt(now.Add(-time.Minute).Unix(), 10)
	labels := func(step, run, expires string) map[string]string {
		l := owner.Run{Host: host, ID: run, Step: step}.Labels()
		l["kiln-expires"] = expires
		if expires == "" {
			delete(l, "kiln-expires")
		}
		return l
	}
	dead := owner.ProcessID(gone.Process.Pid)
	self := owner.ProcessID(os.Getpid())
	instances := map[string]map[string]string{ // name -> labels
		"expired-build": labels("bake", self, earlier),
		"dead-build":    labels("bake", dead, later),
		"live-build":    labels("bake", self, later),
		"dev-vm":        labels("deploy-dev", dead, later),
		"prod-vm":       labels("promote", dead, ""),
		"unlabelled":    nil,
	}
	want := map[string]bool{"expired-build": true, "dead-build": true} // terminated

	for _, c := range []sweepCloud{
		func() (c sweepCloud) {
			f := awsfake.New(t)
			ids := map[string]string{}
			c.name, c.registry = "aws", "registry:\n  type: aws\n  region: us-east-1\n"
			c.env = map[string]string{"KILN_AWS_ENDPOINT": f.Endpoint(), "AWS_ACCESS_KEY_ID": "AKIDFAKE", "AWS_SECRET_ACCESS_KEY": "fake-secret",
				"AWS_EC2_METADATA_DISABLED": "true"}
			c.add = func(name string, l map[string]string) {
				ids[name] = fmt.Sprintf("i-%017x", len(ids)+1)
				tags := map[string]string{"Name": name}
				for k, v := range l {
					tags[k] = v
				}
				f.AddInstance(awsfake.Instance{ID: ids[name], AMI: "ami-0123", Tags: tags})
			}
			c.alive = func(name string) bool { in := f.Instance(ids[name]); return in != nil && in.State != "terminated" }
			return c
		}(),
		func() (c sweepCloud) {
			f := gcpfake.New(t, "acme")
			f.Token = "fake-token"
			c.name, c.registry = "gcp", "registry:\n  type: gcp\n  project: acme\n"
			c.env = map[string]string{"KILN_GCP_ENDPOINT": f.Endpoint(), "GOOGLE_OAUTH_ACCESS_TOKEN": "fake-token"}
			c.add = func(name string, l map[string]string) { f.CreateInstance(gcpfake.Instance{Name: name, Labels: l}) }
			c.alive = func(name string) bool { return f.Instance("us-central1-a", name) != nil }
			return c
		}(),
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			writeFile(t, filepath.Join(w.dir, "kiln.yaml"), strings.Replace(w.template, "packer:\n", c.registry+"packer:\n", 1))
			for name, l := range instances {
				c.add(name, l)
			}
			dry := must(t, w.dir, "sweep", c.env)
			for name := range instances {
				if c.alive(name) != true {
					t.Fatalf("the dry run removed %s", name)
				}
				if listed := strings.Contains(dry.stdout, name); listed != want[name] {
					t.Errorf("%s listed %v, want %v:\n%s", name, listed, want[name], dry.stdout)
				}
			}
			r := must(t, w.dir, "sweep", c.env, "--apply")
			if !strings.Contains(r.stdout, "2 found, 2 removed") {
				t.Errorf("--apply:\n%s", r)
			}
			for name := range instances {
				if c.alive(name) == want[name] {
					t.Errorf("%s alive %v after --apply", name, c.alive(name))
				}
			}
		})
	}
}
