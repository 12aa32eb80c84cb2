package aws_test

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/aws/awsfake"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// owner is the owner tags of a run that started at created and may live for ttl.
func owner(run string, created time.Time, ttl time.Duration) map[string]string {
	return map[string]string{"kiln-run": run, "kiln-step": "bake", "kiln-pipeline": "gitlab-81234",
		"kiln-created": strconv.FormatInt(created.Unix(), 10), "kiln-expires": strconv.FormatInt(created.Add(ttl).Unix(), 10)}
}

func with(tags map[string]string, k, v string) map[string]string {
	tags[k] = v
	return tags
}

func ids(insts []registry.OwnedInstance) []string {
	out := []string{}
	for _, in := range insts {
		out = append(out, in.ID)
	}
	return out
}

// expired is what kiln-sweep will pick: the instances whose kiln-expires has passed.
func expired(insts []registry.OwnedInstance, now time.Time) []registry.OwnedInstance {
	var out []registry.OwnedInstance
	for _, in := range insts {
		if s, err := strconv.ParseInt(in.Labels["kiln-expires"], 10, 64); err == nil && s < now.Unix() {
			out = append(out, in)
		}
	}
	return out
}

// TestOwnedInstances: the tagged instances that are not terminated are listed with their
// tags, zone and launch time; terminating the expired one takes it off the list.
func TestOwnedInstances(t *testing.T) {
	ctx := context.Background()
	f := awsfake.New(t)
	reg := open(t, f, "")
	old, recent := now.Add(-8*time.Hour), now.Add(-time.Hour)
	f.AddInstance(awsfake.Instance{ID: "i-expired", AMI: ami(1), Zone: "us-east-1b", Launched: old,
		Tags: with(owner("runner-7-4123-889911", old, 6*time.Hour), "Name", "packer-demo-web")})
	f.AddInstance(awsfake.Instance{ID: "i-live", AMI: ami(1), Launched: recent, State: "stopped",
		Tags: owner("runner-7-4200-900000", recent, 6*time.Hour)})
	f.AddInstance(awsfake.Instance{ID: "i-plain", AMI: ami(1), Launched: old, Tags: map[string]string{"Name": "web"}})
	f.AddInstance(awsfake.Instance{ID: "i-gone", AMI: ami(1), Launched: old, State: "terminated",
		Tags: owner("runner-7-4000-800000", old, 6*time.Hour)})

	got, err := reg.OwnedInstances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []registry.OwnedInstance{
		{ID: "i-expired", Name: "packer-demo-web", Zone: "us-east-1b", Created: old,
			Labels: with(owner("runner-7-4123-889911", old, 6*time.Hour), "Name", "packer-demo-web")},
		{ID: "i-live", Zone: "us-east-1a", Created: recent, Labels: owner("runner-7-4200-900000", recent, 6*time.Hour)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("owned instances:\n got %+v\nwant %+v", got, want)
	}

	if err := reg.TerminateInstances(ctx, expired(got, now)); err != nil {
		t.Fatal(err)
	}
	for id, state := range map[string]string{"i-expired": "terminated", "i-live": "stopped", "i-plain": "running"} {
		if s := f.Instance(id).State; s != state {
			t.Errorf("%s is %s, want %s", id, s, state)
		}
	}
	got, err = reg.OwnedInstances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids(got)) != "[i-live]" {
		t.Errorf("owned instances after terminating the expired one: %v, want [i-live]", ids(got))
	}
}

// TestOwnedInstancesPages: 120 tagged instances among 200 others, pages of 50: the tag
// filter runs on the server (3 pages; filtering here would take 7), and the 120 instances
// end in batches (2; one at a time would take 120). The counts are bounds, not exact: the
// SDK retries a response whose connection it found closed while reading it, which happens
// now and then against the local fake (https://github.com/aws/aws-sdk-go-v2/issues/2737).
func TestOwnedInstancesPages(t *testing.T) {
	ctx := context.Background()
	f := awsfake.New(t)
	f.PageSize = 50
	reg := open(t, f, "")
	for n := range 320 {
		in := awsfake.Instance{ID: fmt.Sprintf("i-%017x", n), AMI: ami(1), Launched: now.Add(time.Duration(n) * time.Second)}
		if n%8 < 3 {
			in.Tags = owner(fmt.Sprintf("runner-%d", n), in.Launched, time.Hour)
		}
		f.AddInstance(in)
	}
	got, err := reg.OwnedInstances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 120 || got[0].ID != "i-00000000000000000" || got[119].ID != fmt.Sprintf("i-%017x", 314) {
		t.Fatalf("got %d instances, %v ... %v", len(got), got[0].ID, got[len(got)-1].ID)
	}
	if n := f.Calls()["DescribeInstances"]; n < 3 || n >= 7 {
		t.Errorf("DescribeInstances called %d times, want 3 pages", n)
	}
	if err := reg.TerminateInstances(ctx, got); err != nil {
		t.Fatal(err)
	}
	if n := f.Calls()["TerminateInstances"]; n < 2 || n > 4 {
		t.Errorf("TerminateInstances called %d times, want 2 batches", n)
	}
	if got, err := reg.OwnedInstances(ctx); err != nil || len(got) != 0 {
		t.Errorf("after terminating: %d instances, %v", len(got), err)
	}
}

// TestTerminateInstancesErrors: a refused instance fails its batch, which is retried one
// by one; an instance already gone is no error; the error names each failure.
func TestTerminateInstancesErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		setup     func(*awsfake.Fake)
		want      []string // in the error, each
		notWant   []string
		remaining []string // instances still running afterwards
	}{
		{name: "protected", setup: func(f *awsfake.Fake) {
			f.AddInstance(awsfake.Instance{ID: "i-b", Protected: true, Tags: owner("r", now, time.Hour)})
		}, want: []string{"terminate instance i-b: OperationNotPermitted"}, notWant: []string{"i-a", "i-c", "i-unknown"},
			remaining: []string{"i-b"}},
		{name: "refused", setup: func(f *awsfake.Fake) {
			f.FailFrom("TerminateInstances", 1, 403, "UnauthorizedOperation")
		}, want: []string{"terminate instance i-a: UnauthorizedOperation", "terminate instance i-b: UnauthorizedOperation",
			"terminate instance i-c: UnauthorizedOperation"}, remaining: []string{"i-a", "i-b", "i-c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := awsfake.New(t)
			reg := open(t, f, "")
			for _, id := range []string{"i-a", "i-b", "i-c"} {
				f.AddInstance(awsfake.Instance{ID: id, Tags: owner("r", now, time.Hour)})
			}
			tc.setup(f)
			var insts []registry.OwnedInstance
			for _, id := range []string{"i-a", "i-b", "i-c", "i-unknown"} {
				insts = append(insts, registry.OwnedInstance{ID: id})
			}
			err := reg.TerminateInstances(ctx, insts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tc.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not name %q", err, s)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q names %q", err, s)
				}
			}
			for _, id := range []string{"i-a", "i-b", "i-c"} {
				want := "terminated"
				if contains(tc.remaining, id) {
					want = "running"
				}
				if s := f.Instance(id).State; s != want {
					t.Errorf("%s is %s, want %s", id, s, want)
				}
			}
		})
	}
}

// TestOwnedInstancesError: a failed listing is an error naming the region and the cause.
func TestOwnedInstancesError(t *testing.T) {
	f := awsfake.New(t)
	f.FailFrom("DescribeInstances", 1, 403, "UnauthorizedOperation")
	_, err := open(t, f, "").OwnedInstances(context.Background())
	if err == nil || !strings.Contains(err.Error(), "describe kiln's instances in us-east-1: UnauthorizedOperation") {
		t.Errorf("error %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
