package check

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// Image ids and the lineage of the tests' states.
const (
	liveID     = "local:sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	otherLocal = "local:sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	amiID      = "us-east-1:ami-0abc"
	gcpID      = "web-20261130-0123abc"
	gcpLink    = "https://www.googleapis.com/compute/v1/projects/p/global/images/" + gcpID
	liveLin    = "5f1c0a2e-0000-4000-8000-000000000001"
)

// tfState parses a state of lineage and serial with one resource instance whose attributes
// hold strs, in a list and in a nested map.
func tfState(t *testing.T, lineage string, serial int64, strs ...string) *terraform.State {
	t.Helper()
	list, err := json.Marshal(strs)
	if err != nil {
		t.Fatal(err)
	}
	raw := fmt.Sprintf(`{"version": 4, "serial": %d, "lineage": %q, "outputs": {},
  "resources": [{"mode": "managed", "type": "terraform_data", "name": "vm",
    "instances": [{"attributes": {"id": "x", "input": {"value": {"images": %s}}, "triggers_replace": %s}}]}]}`,
		serial, lineage, list, list)
	st, err := terraform.ParseState([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// parsed parses a state written out in full.
func parsed(t *testing.T, raw string) *terraform.State {
	t.Helper()
	st, err := terraform.ParseState([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// liveRecord returns a record of image id deployed to dev with state lineage lin.
func liveRecord(id, lin string) (*record.Record, *record.Deployment) {
	rec := record.New(record.Image{ID: id, Name: "web-1", Family: "web"}, record.Source{}, time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))
	rec.SetDeployment(record.Deployment{Environment: "dev", Workspace: "dev", ImageID: id, StateLineage: lin, StateSerial: 3})
	return rec, rec.Deployment("dev")
}

// checkRefusal fails unless err is kiln-test's refusal (exit 1) containing want.
func checkRefusal(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case err == nil:
		t.Fatalf("no error, want a refusal containing %q", want)
	case exitcode.Of(err) != exitcode.Failed:
		t.Errorf("exit code %d, want %d: %v", exitcode.Of(err), exitcode.Failed, err)
	case !strings.HasPrefix(err.Error(), "refusing to test: ") || !strings.Contains(err.Error(), want):
		t.Errorf("error %q, want refusing to test: ...%s...", err, want)
	}
}

// TestBound checks that kiln-test only vouches for the state the record's deployment left,
// running the record's image.
func TestBound(t *testing.T) {
	for _, tc := range []struct {
		name    string
		id, lin string // the record's image and deployment lineage
		st      func(t *testing.T) *terraform.State
		want    string // a fragment of the refusal; "" to pass
	}{
		{"local image", liveID, liveLin, func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, liveID, "other") }, ""},
		{"AMI id with its region", amiID, liveLin, func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, "ami-0abc") }, ""},
		{"AMI id verbatim", amiID, liveLin, func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, amiID) }, ""},
		{"AMI beside another AMI", amiID, liveLin, func(t *testing.T) *terraform.State {
			return tfState(t, liveLin, 7, "ami-0abc", "ami-0def")
		}, ""},
		{"GCP self link", gcpID, liveLin, func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, gcpLink) }, ""},
		{"GCP name", gcpID, liveLin, func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, gcpID) }, ""},

		{"empty state", liveID, liveLin, func(t *testing.T) *terraform.State { return parsed(t, "") },
			"dev's Terraform state is empty: nothing is deployed"},
		{"state without resources", liveID, liveLin, func(t *testing.T) *terraform.State {
			return parsed(t, fmt.Sprintf(`{"version": 4, "serial": 9, "lineage": %q, "resources": []}`, liveLin))
		}, "dev's Terraform state is empty"},
		{"no lineage in the deployment", liveID, "", func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, liveID) },
			"the record's deployment to dev names no Terraform state"},
		{"no lineage anywhere", liveID, "", func(t *testing.T) *terraform.State { return tfState(t, "", 7, liveID) },
			"names no Terraform state"},
		{"lineage mismatch", liveID, liveLin, func(t *testing.T) *terraform.State { return tfState(t, "other-lineage", 7, liveID) },
			"(lineage other-lineage) is not the one image " + liveID + " was deployed to (lineage " + liveLin + ")"},
		{"image absent", liveID, liveLin, func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, otherLocal) },
			"dev runs another image than " + liveID + " (state serial 7)"},
		{"another local image beside it", liveID, liveLin, func(t *testing.T) *terraform.State {
			return tfState(t, liveLin, 7, liveID, otherLocal)
		}, "dev runs image " + otherLocal + " besides " + liveID + " (state serial 7)"},
		{"another AMI", amiID, liveLin, func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, "ami-0abcd") },
			"runs another image than " + amiID},
		{"AMI of another region verbatim", amiID, liveLin, func(t *testing.T) *terraform.State {
			return tfState(t, liveLin, 7, "eu-west-1:ami-0abc")
		}, "runs another image than " + amiID},
		{"GCP self link of a longer name", gcpID, liveLin, func(t *testing.T) *terraform.State {
			return tfState(t, liveLin, 7, gcpLink+"-rc1")
		}, "runs another image than " + gcpID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, d := liveRecord(tc.id, tc.lin)
			st := tc.st(t)
			if tc.lin != "" {
				d.StateDigest = st.Digest // the deployment left this very state
			}
			err := bound(rec, d, st, "dev", "kiln-deploy-dev")
			if tc.want == "" {
				if err != nil {
					t.Errorf("bound = %v, want nil", err)
				}
				return
			}
			checkRefusal(t, err, tc.want)
		})
	}
}

// TestRuns checks which strings of a state name an image.
func TestRuns(t *testing.T) {
	for _, tc := range []struct {
		name, id string
		strs     []string
		want     bool
	}{
		{"exact", liveID, []string{liveID}, true},
		{"AMI id of a regional id", amiID, []string{"ami-0abc"}, true},
		{"regional id", amiID, []string{amiID}, true},
		{"self link", gcpID, []string{gcpLink}, true},
		{"path", gcpID, []string{"projects/p/global/images/" + gcpID}, true},
		{"absent", liveID, []string{otherLocal, "x"}, false},
		{"nothing", liveID, nil, false},
		{"AMI prefix", amiID, []string{"ami-0ab"}, false},
		{"longer AMI", amiID, []string{"ami-0abcd"}, false},
		{"AMI of a non-AMI id", "us-east-1:img-0abc", []string{"img-0abc"}, false},
		{"name within a longer name", gcpID, []string{"projects/p/global/images/old-" + gcpID}, false},
		{"name followed by more", gcpID, []string{gcpLink + "/x"}, false},
		{"substring", gcpID, []string{"x" + gcpID + "x"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tfState(t, liveLin, 1, tc.strs...).NamesImage(tc.id); got != tc.want {
				t.Errorf("NamesImage(%q, %s) = %v, want %v", tc.strs, tc.id, got, tc.want)
			}
		})
	}
}

// TestUnchanged checks that a state that moved while the checks ran voids them.
func TestUnchanged(t *testing.T) {
	for _, tc := range []struct {
		name          string
		before, after func(t *testing.T) *terraform.State
		id            string
		want          string
	}{
		{"same state", func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, liveID) },
			func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, liveID) }, liveID, ""},
		{"same state, AMI", func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, "ami-0abc") },
			func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, "ami-0abc") }, amiID, ""},
		{"serial changed", func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, liveID) },
			func(t *testing.T) *terraform.State { return tfState(t, liveLin, 8, liveID) }, liveID,
			"dev's Terraform state changed while the checks ran (serial 7, now 8)"},
		{"lineage changed", func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, liveID) },
			func(t *testing.T) *terraform.State { return tfState(t, "other-lineage", 7, liveID) }, liveID,
			"changed while the checks ran"},
		{"image gone", func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, liveID) },
			func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, otherLocal) }, liveID,
			"changed while the checks ran (serial 7, now 7)"},
		{"destroyed", func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, liveID) },
			func(t *testing.T) *terraform.State { return parsed(t, "") }, liveID,
			"changed while the checks ran (serial 7, now 0)"},
		{"replaced and back", func(t *testing.T) *terraform.State { return tfState(t, liveLin, 7, liveID) },
			func(t *testing.T) *terraform.State { return tfState(t, liveLin, 9, liveID) }, liveID,
			"another deployment raced the tests; nothing was recorded as passed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := unchanged(tc.before(t), tc.after(t), tc.id, "dev")
			if tc.want == "" {
				if err != nil {
					t.Errorf("unchanged = %v, want nil", err)
				}
				return
			}
			checkRefusal(t, err, tc.want)
		})
	}
}

// TestBoundEditedState: a state edited since kiln-deploy-dev (an output pointed elsewhere,
// lineage and serial kept) is not what was deployed.
func TestBoundEditedState(t *testing.T) {
	rec, d := liveRecord(liveID, liveLin)
	d.StateDigest = tfState(t, liveLin, 7, liveID).Digest
	edited := tfState(t, liveLin, 7, liveID, "127.0.0.1:18082")
	checkRefusal(t, bound(rec, d, edited, "dev", "kiln-deploy-dev"), "is not the one kiln-deploy-dev left for image "+liveID+" (serial 7, deployed at")
}
