package gcp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/gcp/gcpfake"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// owner is the owner labels of a run that started at created and may live for ttl.
func owner(run string, created time.Time, ttl time.Duration) map[string]string {
	return map[string]string{"kiln-run": run, "kiln-step": "deploy-dev", "kiln-pipeline": "gitlab-81234",
		"kiln-created": strconv.FormatInt(created.Unix(), 10), "kiln-expires": strconv.FormatInt(created.Add(ttl).Unix(), 10)}
}

func names(insts []registry.OwnedInstance) []string {
	out := []string{}
	for _, in := range insts {
		out = append(out, in.Zone+"/"+in.Name)
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

// TestOwnedInstances: the labelled instances are listed with their labels, zone, id and
// creation time, the stopped (TERMINATED) one too; deleting the expired ones, whether the
// operations finish at once or need a wait, removes them and their boot disks.
func TestOwnedInstances(t *testing.T) {
	for _, pending := range []bool{false, true} {
		t.Run(fmt.Sprintf("pending=%v", pending), func(t *testing.T) {
			ctx := context.Background()
			f := gcpfake.New(t, "p")
			f.PendingOperations = pending
			reg := open(t, f)
			old, recent := now.Add(-8*time.Hour), now.Add(-time.Hour)
			f.AddImage(gcpfake.Image{Name: "base", Family: "fam", Created: old})
			f.CreateInstance(gcpfake.Instance{Name: "packer-1", Zone: "europe-west1-b", Image: "base", Created: old, ID: 11,
				Labels: owner("runner-7-4123-889911", old, 6*time.Hour)})
			f.CreateInstance(gcpfake.Instance{Name: "dev-web", Created: recent, ID: 12, Labels: owner("runner-7-4200-900000", recent, 6*time.Hour)})
			f.CreateInstance(gcpfake.Instance{Name: "dev-stopped", Status: "TERMINATED", Created: old.Add(time.Minute), ID: 13,
				Labels: owner("runner-7-4000-800000", old, time.Hour)})
			f.CreateInstance(gcpfake.Instance{Name: "web", Image: "base", Created: old, ID: 14, Labels: map[string]string{"team": "web"}})

			got, err := reg.OwnedInstances(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := []registry.OwnedInstance{
				{ID: "11", Name: "packer-1", Zone: "europe-west1-b", Created: old, Labels: owner("runner-7-4123-889911", old, 6*time.Hour)},
				{ID: "13", Name: "dev-stopped", Zone: "us-central1-a", Created: old.Add(time.Minute), Labels: owner("runner-7-4000-800000", old, time.Hour)},
				{ID: "12", Name: "dev-web", Zone: "us-central1-a", Created: recent, Labels: owner("runner-7-4200-900000", recent, 6*time.Hour)},
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("owned instances:\n got %+v\nwant %+v", got, want)
			}

			if err := reg.TerminateInstances(ctx, expired(got, now)); err != nil {
				t.Fatal(err)
			}
			if s := fmt.Sprint(f.Instances()); s != "[us-central1-a/dev-web us-central1-a/web]" {
				t.Errorf("instances left: %s", s)
			}
			if n, want := f.Calls()["zoneOperations.wait"], map[bool]int{false: 0, true: 2}[pending]; n != want {
				t.Errorf("zoneOperations.wait called %d times, want %d", n, want)
			}
			u, err := reg.Uses(ctx, []registry.Image{{ID: "base"}})
			if err != nil || fmt.Sprint(u.By["base"]) != "[instance web (disk web-boot)]" {
				t.Errorf("uses of the image after deleting packer-1: %v %v", u.By, err)
			}
			got, err = reg.OwnedInstances(ctx)
			if err != nil || fmt.Sprint(names(got)) != "[us-central1-a/dev-web]" {
				t.Errorf("owned instances after deleting the expired ones: %v %v", names(got), err)
			}
		})
	}
}

// TestOwnedInstancesPages: 120 labelled instances in two zones among 200 others, pages of
// 50: the label filter runs on the server (3 pages; filtering here would take 7).
func TestOwnedInstancesPages(t *testing.T) {
	ctx := context.Background()
	f := gcpfake.New(t, "p")
	f.PageSize = 50
	reg := open(t, f)
	for n := range 320 {
		in := gcpfake.Instance{Name: fmt.Sprintf("vm-%03d", n), Zone: []string{"us-central1-a", "us-east1-b"}[n%2],
			Created: now.Add(time.Duration(n) * time.Second)}
		if n%8 < 3 {
			in.Labels = owner(fmt.Sprintf("runner-%d", n), in.Created, time.Hour)
		}
		f.CreateInstance(in)
	}
	got, err := reg.OwnedInstances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 120 || got[0].Name != "vm-000" || got[119].Name != "vm-314" || got[1].Zone != "us-east1-b" {
		t.Fatalf("got %d instances: %v ... %v", len(got), got[0], got[len(got)-1])
	}
	if n := f.Calls()["instances.aggregatedList"]; n != 3 {
		t.Errorf("instances.aggregatedList called %d times, want 3 pages", n)
	}
	if err := reg.TerminateInstances(ctx, got); err != nil {
		t.Fatal(err)
	}
	if n, left := f.Calls()["instances.delete"], len(f.Instances()); n != 120 || left != 200 {
		t.Errorf("%d deletions, %d instances left; want 120 and 200", n, left)
	}
}

// TestTerminateInstancesErrors: a refused deletion is named in the error and does not stop
// the others; an instance already gone is no error.
func TestTerminateInstancesErrors(t *testing.T) {
	f := gcpfake.New(t, "p")
	reg := open(t, f)
	var insts []registry.OwnedInstance
	for _, n := range []string{"a", "b", "c"} {
		f.CreateInstance(gcpfake.Instance{Name: n, Labels: owner("r", now, time.Hour)})
		insts = append(insts, registry.OwnedInstance{Name: n, Zone: "us-central1-a"})
	}
	insts = append(insts, registry.OwnedInstance{Name: "gone", Zone: "us-central1-a"})
	f.FailAt("instances.delete", 2, http.StatusForbidden)
	err := reg.TerminateInstances(context.Background(), insts)
	if err == nil || err.Error() != "delete instance b in us-central1-a: 403 injected failure of instances.delete call 2" {
		t.Fatalf("error %v", err)
	}
	if s := fmt.Sprint(f.Instances()); s != "[us-central1-a/b]" {
		t.Errorf("instances left: %s", s)
	}
}

// TestOwnedInstancesError: a failed listing is an error naming the project and the cause.
func TestOwnedInstancesError(t *testing.T) {
	f := gcpfake.New(t, "p")
	f.FailAt("instances.aggregatedList", 1, http.StatusForbidden)
	_, err := open(t, f).OwnedInstances(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "list kiln's instances of project p: 403 ") {
		t.Errorf("error %v", err)
	}
}

// TestFakeFilter: the fake refuses a filter it does not understand rather than ignore it.
func TestFakeFilter(t *testing.T) {
	f := gcpfake.New(t, "p")
	f.CreateInstance(gcpfake.Instance{Name: "a", Labels: map[string]string{"kiln-run": "r"}})
	for filter, status := range map[string]int{"labels.kiln-run:*": 200, "labels.kiln-run = r": 400, "name = a": 400} {
		res, err := f.Client().Get(f.Endpoint() + "projects/p/aggregated/instances?filter=" + url.QueryEscape(filter))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != status {
			t.Errorf("filter %q: status %d, want %d", filter, res.StatusCode, status)
		}
	}
}
