package record

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Record)
		want string // "" means valid
	}{
		{"sample", func(*Record) {}, ""},
		{"no optional sections", func(r *Record) { r.Tests, r.Deployments, r.Promotion = nil, nil, nil }, ""},
		{"other schema", func(r *Record) { r.Schema = "kiln.image/v0" }, `schema "kiln.image/v0" is not supported`},
		{"no image id", func(r *Record) { r.Image.ID = "" }, "image.id is empty"},
		{"tests without image id", func(r *Record) { r.Tests.ImageID = "" }, "tests.image_id is empty"},
		{"tests of another image", func(r *Record) { r.Tests.ImageID = "other" }, ""},
		{"unknown status", func(r *Record) { r.Tests.Status = "ok" }, `tests.status is "ok", want "passed" or "failed"`},
		{"negative count", func(r *Record) { r.Tests.Failed = -1 }, "tests counts are negative"},
		{"counts over total", func(r *Record) { r.Tests.Total = 1 }, "tests.passed 2 + tests.failed 0 is more than tests.total 1"},
		{"passed with failures", func(r *Record) { r.Tests.Failed, r.Tests.Total = 1, 3 }, "tests.status is passed but tests.failed is 1"},
		{"deployment without environment", func(r *Record) { r.Deployments[0].Environment = "" }, "deployments[0].environment is empty"},
		{"deployment without image id", func(r *Record) { r.Deployments[0].ImageID = "" }, `deployment "dev": image_id is empty`},
		{"sensitive value", func(r *Record) { r.Deployments[0].Outputs["token"] = Output{Sensitive: true, Value: []byte(`"x"`)} }, `deployment "dev": output "token" is sensitive but carries a value`},
		{"promotion without image id", func(r *Record) { r.Promotion.ImageID = "" }, "promotion.image_id is empty"},
		{"promotion without environment", func(r *Record) { r.Promotion.Environment = "" }, "promotion.environment is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sample()
			tt.edit(r)
			err := r.Validate()
			if tt.want == "" {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestTestedOK(t *testing.T) {
	id := sample().Image.ID
	tests := []struct {
		name string
		edit func(*Record)
		want string // "" means nil
	}{
		{"passed", func(*Record) {}, ""},
		{"no tests", func(r *Record) { r.Tests = nil }, "image " + id + " has no test results (run kiln-test first)"},
		{"another image", func(r *Record) { r.Tests.ImageID = "local:sha256:old" }, "the tests ran against image local:sha256:old, not image " + id},
		{"failed", func(r *Record) { *r.Tests = Tests{Status: StatusFailed, Passed: 1, Failed: 2, Total: 3, ImageID: id} }, "the tests of image " + id + " failed (2 of 3 checks failed)"},
		{"odd status", func(r *Record) { r.Tests.Status = "running" }, `the tests of image ` + id + ` have status "running", not "passed"`},
		{"passed with failures", func(r *Record) { r.Tests.Failed = 1 }, "the tests of image " + id + " passed with 1 failed checks"},
		{"no checks", func(r *Record) { *r.Tests = Tests{Status: StatusPassed, ImageID: id} }, "the tests of image " + id + " ran no checks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sample()
			tt.edit(r)
			err := r.TestedOK()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("TestedOK = %v, want nil", err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("TestedOK = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDeployment(t *testing.T) {
	r := minimal()
	if r.Deployment("dev") != nil {
		t.Fatal("empty record has a dev deployment")
	}
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	r.Deployments = []Deployment{
		{Environment: "dev", ImageID: "a", At: at(5)},
		{Environment: "prod", ImageID: "b", At: at(9)},
		{Environment: "dev", ImageID: "c", At: at(7)},
		{Environment: "dev", ImageID: "d", At: at(6)},
	}
	if got := r.Deployment("dev"); got == nil || got.ImageID != "c" {
		t.Errorf("latest dev = %+v, want image c", got)
	}
	if got := r.Deployment("prod"); got == nil || got.ImageID != "b" {
		t.Errorf("prod = %+v, want image b", got)
	}
	if r.Deployment("staging") != nil {
		t.Error("staging found")
	}

	r.SetDeployment(Deployment{Environment: "dev", ImageID: "e", At: at(8)})
	ids := ""
	for _, d := range r.Deployments {
		ids += d.Environment + ":" + d.ImageID + " "
	}
	if ids != "dev:e prod:b " {
		t.Errorf("after SetDeployment(dev): %q", ids)
	}
	r.SetDeployment(Deployment{Environment: "staging", ImageID: "f"})
	if len(r.Deployments) != 3 || r.Deployment("staging").ImageID != "f" {
		t.Errorf("SetDeployment(staging) did not append: %+v", r.Deployments)
	}
}

func TestSetDeploymentDoesNotAlias(t *testing.T) {
	orig := []Deployment{{Environment: "dev", ImageID: "a"}, {Environment: "prod", ImageID: "b"}}
	r := minimal()
	r.Deployments = orig
	r.SetDeployment(Deployment{Environment: "dev", ImageID: "c"})
	if orig[0].ImageID != "a" {
		t.Errorf("SetDeployment changed the caller's slice: %+v", orig)
	}
}

// TestValidateControlCharacters: a line break or escape in a field kiln prints is refused.
func TestValidateControlCharacters(t *testing.T) {
	for _, edit := range []func(r *Record){
		func(r *Record) { r.Image.Family = "demo-web\nkiln-promote: promoted" },
		func(r *Record) { r.Image.Name = "web\x1b[2K" },
		func(r *Record) { r.Source.Commit = "abc\r" },
	} {
		r := sample()
		edit(r)
		if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "control character") {
			t.Errorf("Validate = %v, want a control character refusal", err)
		}
	}
}
