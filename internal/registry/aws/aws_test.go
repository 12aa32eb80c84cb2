package aws_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/lifecycle"
	"github.com/kiln-ci/kiln/internal/lifecycle/lifecycletest"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/aws"
	"github.com/kiln-ci/kiln/internal/registry/aws/awsfake"
)

const region = "us-east-1"

func open(t testing.TB, f *awsfake.Fake, pointer string) *aws.Registry {
	t.Helper()
	reg, err := aws.New(context.Background(), aws.Options{Region: region, Pointer: pointer, Parameter: "/kiln/families/demo-web",
		Endpoint: f.Endpoint(), HTTPClient: f.Client(),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", "")})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func ami(n int) string { return fmt.Sprintf("ami-%017x", n+1) }

// world puts the scenario's uses on AWS resources: prod is a launch template (replaced, as
// create_before_destroy does), dev an instance, the legacy user a launch configuration.
type world struct {
	fake *awsfake.Fake
	reg  *aws.Registry
}

func (w *world) Registry() registry.Registry { return w.reg }

func (w *world) Bake(t testing.TB, family string, n int, at time.Time) string {
	w.fake.AddImage(awsfake.Image{ID: ami(n), Name: fmt.Sprintf("%s-%03d", family, n), Created: at,
		Tags: map[string]string{"kiln-family": family}, Snapshots: []string{fmt.Sprintf("snap-%017x", n+1)}})
	return region + ":" + ami(n)
}

func (w *world) Use(t testing.TB, id, user string) {
	a := strings.TrimPrefix(id, region+":")
	switch user {
	case "environment prod":
		w.fake.AddTemplateVersion("web-"+a, a)
	case "environment dev":
		w.fake.RunInstance("i-dev-"+a, a)
	default:
		w.fake.SetLaunchConfiguration("legacy-"+a, a)
	}
}

func (w *world) Free(t testing.TB, id, user string) {
	a := strings.TrimPrefix(id, region+":")
	switch user {
	case "environment prod":
		w.fake.DeleteTemplate("web-" + a)
	case "environment dev":
		w.fake.TerminateInstance("i-dev-" + a)
	default:
		w.fake.SetLaunchConfiguration("legacy-"+a, "")
	}
}

func (w *world) Uses() lifecycle.UsesFunc { return nil }

// TestScenario: the 200-image scenario against the fake, pages of 7, with each kind of
// family pointer.
func TestScenario(t *testing.T) {
	for _, pointer := range []string{aws.PointerTag, aws.PointerSSM} {
		t.Run(pointer, func(t *testing.T) {
			f := awsfake.New(t)
			f.PageSize = 7
			w := &world{fake: f, reg: open(t, f, pointer)}
			res := lifecycletest.Run(t, w, 200)
			t.Log(res)
			t.Logf("API calls: %d %v", f.Total(), f.Calls())
			if res.Deleted == 0 || res.KeptInUse == 0 {
				t.Fatalf("the scenario did not exercise every rule: %s", res)
			}
			for n := 0; n < 10; n++ { // the oldest images are gone with their snapshots
				if f.Image(ami(n)) != nil || f.Snapshot(fmt.Sprintf("snap-%017x", n+1)) {
					t.Fatalf("%s or its snapshot remains", ami(n))
				}
			}
		})
	}
}

func TestUses(t *testing.T) {
	f := awsfake.New(t)
	f.PageSize = 3
	for n := 0; n < 450; n++ {
		f.AddImage(awsfake.Image{ID: ami(n), Name: fmt.Sprint(n), Created: time.Unix(int64(n), 0), Tags: map[string]string{"kiln-family": "fam"}})
	}
	f.RunInstance("i-1", ami(420)) // past the first 200 ids of the image-id filter
	f.RunInstance("i-2", ami(3))
	f.AddTemplateVersion("web", ami(10))
	f.AddTemplateVersion("web", ami(11))
	f.AddTemplateVersion("web", "resolve:ssm:/app/image")
	f.SetLaunchConfiguration("old-lc", ami(12))
	reg := open(t, f, aws.PointerSSM)
	ctx := context.Background()
	reg2 := open(t, f, aws.PointerTag)
	if _, err := (&ssmPut{reg: reg2}).put(ctx, f, "/app/image", ami(13)); err != nil {
		t.Fatal(err)
	}
	images, err := reg.List(ctx, "fam")
	if err != nil || len(images) != 450 {
		t.Fatalf("List: %d images, %v", len(images), err)
	}
	u, _ := reg.Uses(ctx, images)
	want := map[int]string{420: "instance i-1", 3: "instance i-2", 10: "launch template web version 1",
		11: "launch template web version 2", 13: "launch template web version 3", 12: "launch configuration old-lc"}
	for n, img := range images {
		if got := strings.Join(u.By[img.ID], ", "); got != want[n] {
			t.Errorf("uses of %s = %q, want %q", img.ID, got, want[n])
		}
	}
	if len(u.Unknown) != 0 {
		t.Fatalf("unknown: %v", u.Unknown)
	}
	f.FailFrom("DescribeLaunchTemplateVersions", 1, 403, "UnauthorizedOperation")
	u, _ = reg.Uses(ctx, images[:2])
	if why := u.Unknown[images[1].ID]; len(why) != 1 || !strings.Contains(why[0], "listing launch templates failed") || !strings.Contains(why[0], "UnauthorizedOperation") {
		t.Fatalf("unknown after a failed listing: %v", u.Unknown)
	}
}

// ssmPut points an SSM parameter at an AMI, as a team's own pipeline would.
type ssmPut struct{ reg *aws.Registry }

func (p *ssmPut) put(ctx context.Context, f *awsfake.Fake, name, a string) (string, error) {
	r, err := aws.New(ctx, aws.Options{Region: region, Pointer: aws.PointerSSM, Parameter: name, Endpoint: f.Endpoint(),
		HTTPClient: f.Client(), Credentials: credentials.NewStaticCredentialsProvider("AKIDFAKE", "fake-secret", "")})
	if err != nil {
		return "", err
	}
	return r.Point(ctx, "other", region+":"+a, "", time.Time{})
}

func TestPointer(t *testing.T) {
	for _, pointer := range []string{aws.PointerTag, aws.PointerSSM} {
		t.Run(pointer, func(t *testing.T) {
			f := awsfake.New(t)
			for n := 0; n < 3; n++ {
				f.AddImage(awsfake.Image{ID: ami(n), Created: time.Unix(int64(n), 0), Tags: map[string]string{"kiln-family": "demo-web"}})
			}
			reg := open(t, f, pointer)
			ctx := context.Background()
			at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
			for i, n := range []int{0, 1, 2, 1} {
				if _, err := reg.Point(ctx, "demo-web", region+":"+ami(n), "prod", at.Add(time.Duration(i)*time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			fam, err := reg.Pointer(ctx, "demo-web")
			if err != nil {
				t.Fatal(err)
			}
			if fam.Current != region+":"+ami(1) || fam.Previous() != region+":"+ami(2) || fam.History[len(fam.History)-1].Environment != "prod" {
				t.Fatalf("family after 0, 1, 2, 1: %+v", fam)
			}
			if pointer == aws.PointerSSM {
				if v, n := f.Parameter("/kiln/families/demo-web"); v != ami(1) || n != 4 {
					t.Fatalf("parameter %s after %d versions", v, n)
				}
			}
			if _, err := reg.Point(ctx, "demo-web", "eu-west-1:"+ami(0), "prod", at); exitcode.Of(err) != exitcode.Usage {
				t.Fatalf("Point to another region = %v, want exit 2", err)
			}
			if _, err := reg.Lookup(ctx, "ami-0000000000000dead"); exitcode.Of(err) != exitcode.ImageNotFound {
				t.Fatalf("Lookup(missing) = %v, want exit 7", err)
			}
		})
	}
}

func TestStates(t *testing.T) {
	f := awsfake.New(t)
	f.AddImage(awsfake.Image{ID: ami(0), Created: time.Unix(0, 0), Snapshots: []string{"snap-1", "snap-2"}, Tags: map[string]string{"kiln-family": "fam"}})
	reg := open(t, f, aws.PointerTag)
	ctx := context.Background()
	id := region + ":" + ami(0)
	d := registry.Dates{Deprecated: time.Date(2026, 1, 1, 3, 0, 30, 0, time.UTC), Obsolete: time.Date(2026, 2, 1, 3, 0, 0, 0, time.UTC)}
	if err := reg.SetState(ctx, id, registry.Deprecated, d); err != nil {
		t.Fatal(err)
	}
	img := f.Image(ami(0))
	if !img.Deprecate.Equal(time.Date(2026, 1, 1, 3, 1, 0, 0, time.UTC)) || img.Tags["kiln-state"] != "DEPRECATED" ||
		img.Tags["kiln-deprecated-at"] != "2026-01-01T03:00:30Z" || img.Tags["kiln-obsolete-at"] != "2026-02-01T03:00:00Z" {
		t.Fatalf("after deprecation: %+v", img)
	}
	if err := reg.SetState(ctx, id, registry.Obsolete, d); err != nil || !f.Image(ami(0)).Disabled {
		t.Fatalf("obsolete: %v", err)
	}
	g, err := reg.Lookup(ctx, ami(0))
	if err != nil || g.State != registry.Obsolete || !g.Dates.Deprecated.Equal(d.Deprecated) {
		t.Fatalf("Lookup = %+v, %v", g, err)
	}
	if err := reg.SetState(ctx, id, registry.Ready, registry.Dates{}); err != nil {
		t.Fatal(err)
	}
	if img := f.Image(ami(0)); img.Disabled || !img.Deprecate.IsZero() || img.Tags["kiln-state"] != "READY" || img.Tags["kiln-deprecated-at"] != "" {
		t.Fatalf("after READY: %+v", img)
	}
	if err := reg.Delete(ctx, id, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if f.Image(ami(0)) != nil || f.Snapshot("snap-1") || f.Snapshot("snap-2") {
		t.Fatal("the image or a snapshot remains")
	}
}

// TestErrorMidRun: deregistration starts failing in the middle of an apply; the run stops
// there, nothing after it is touched, and the report says where it stopped. A snapshot that
// cannot be deleted is named.
func TestErrorMidRun(t *testing.T) {
	f := awsfake.New(t)
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for n := 0; n < 10; n++ {
		img := awsfake.Image{ID: ami(n), Created: start.Add(time.Duration(n) * time.Hour), Tags: map[string]string{"kiln-family": "fam"},
			Snapshots: []string{fmt.Sprintf("snap-%d", n)}}
		if n < 5 {
			img.Created = start.AddDate(-1, 0, 0).Add(time.Duration(n) * time.Hour)
			img.Disabled = true
			img.Tags["kiln-state"], img.Tags["kiln-obsolete-at"] = "OBSOLETE", "2025-06-01T00:00:00Z"
		}
		f.AddImage(img)
	}
	reg := open(t, f, aws.PointerTag)
	ctx := context.Background()
	rows, err := lifecycle.Rotation{Registry: reg, Family: "fam", Policy: lifecycletest.Policy, Now: start.AddDate(0, 3, 0)}.Plan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(lifecycle.Transitions(rows)); n != 7 { // 5 deletions, 2 deprecations (3 newest kept)
		t.Fatalf("%d transitions planned", n)
	}
	f.FailFrom("DeregisterImage", 3, 403, "UnauthorizedOperation") // the role lost a permission mid-run
	rep := lifecycle.Apply(ctx, reg, rows, &strings.Builder{})
	want := "stopped at us-east-1:" + ami(2) + " (OBSOLETE -> DELETED): deregister image us-east-1:" + ami(2) +
		": UnauthorizedOperation: injected failure of DeregisterImage (call 3); 2 of 7 transitions done, 4 not attempted"
	if rep.Stopped != want {
		t.Fatalf("report\n got: %s\nwant: %s", rep.Stopped, want)
	}
	for n := 2; n < 10; n++ {
		if f.Image(ami(n)) == nil || !f.Snapshot(fmt.Sprintf("snap-%d", n)) {
			t.Fatalf("%s was deleted after the failure", ami(n))
		}
		if n >= 5 && f.Image(ami(n)).Tags["kiln-state"] != "" {
			t.Fatalf("%s was touched after the failure", ami(n))
		}
	}

	f.Heal()
	f.FailFrom("DeleteSnapshot", 1, 400, "InvalidSnapshot.InUse")
	err = reg.Delete(ctx, "us-east-1:"+ami(2), time.Time{})
	if err == nil || !strings.Contains(err.Error(), "image deregistered, but delete its snapshot snap-2 of us-east-1:"+ami(2)+": InvalidSnapshot.InUse") {
		t.Fatalf("Delete with a stuck snapshot = %v", err)
	}
	_ = awssdk.String
}
