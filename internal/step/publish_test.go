package step

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/record"
)

const imageID = "local:sha256:ab1200000000000000000000000000000000000000000000000000000000000f"

func sampleRecord() *record.Record {
	return record.New(record.Image{ID: imageID, Name: "demo-20261121103000-0123abc", Family: "demo", Provider: "local"},
		record.Source{Commit: "0123abcdef"}, t0)
}

// TestPublish checks the record, kiln.env (written from the record alone) and GitHub's outputs.
func TestPublish(t *testing.T) {
	dir := workdir(t, minimalConfig)
	writeFile(t, filepath.Join(dir, "out", "kiln.env"), "KILN_EARLIER=kept\nKILN_IMAGE_ID=old\n")
	ghOut := filepath.Join(dir, "github_output")
	vars := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": ghOut, "KILN_ENV_FILE": "out/kiln.env"}
	s := fakeStep{run: func(_ context.Context, r *Run) error {
		return r.Publish(deployed(sampleRecord(), "dev", map[string]string{"address": "127.0.0.1:8080"}))
	}}
	r := run(t, context.Background(), dir, vars, s, "--record", "out/rec.json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}

	rec, err := record.Read(filepath.Join(dir, "out", "rec.json"))
	if err != nil {
		t.Fatalf("read the record: %v", err)
	}
	if rec.Image.ID != imageID {
		t.Errorf("record image id %q", rec.Image.ID)
	}

	wantEnv := "KILN_BUILT_AT=2026-11-21T10:30:00Z\nKILN_IMAGE_FAMILY=demo\nKILN_IMAGE_ID=" + imageID +
		"\nKILN_IMAGE_NAME=demo-20261121103000-0123abc\nKILN_OUTPUT_DEV_ADDRESS=127.0.0.1:8080\nKILN_SOURCE_SHA=0123abcdef\n"
	if got := readFile(t, filepath.Join(dir, "out", "kiln.env")); got != wantEnv {
		t.Errorf("kiln.env:\n%s\nwant:\n%s", got, wantEnv)
	}

	gh := readFile(t, ghOut)
	for k, v := range map[string]string{"image-id": imageID, "image-name": "demo-20261121103000-0123abc",
		"image-family": "demo", "source-sha": "0123abcdef", "built-at": "2026-11-21T10:30:00Z",
		"output-dev-address": "127.0.0.1:8080"} {
		if want := k + "<<_GitHubActionsFileCommandDelimeter_\n" + v + "\n_GitHubActionsFileCommandDelimeter_\n"; !strings.Contains(gh, want) {
			t.Errorf("$GITHUB_OUTPUT lacks %q:\n%s", want, gh)
		}
	}
	if strings.Contains(gh, "earlier") {
		t.Errorf("$GITHUB_OUTPUT holds kiln.env's older variables:\n%s", gh)
	}
}

// TestPublishOptional checks that optional variables (Terraform outputs) kiln.env cannot
// carry are left out with a warning naming them, while the record and the variables that fit
// are written: a large Terraform configuration must not fail a deploy.
func TestPublishOptional(t *testing.T) {
	many := map[string]string{}
	for i := 0; i < record.MaxDotenvVars; i++ {
		many["o"+strings.Repeat("x", i)] = "v"
	}
	for _, tc := range []struct {
		name string
		outs map[string]string
		left []string // keys left out of kiln.env
	}{
		{"too many", many, []string{"KILN_OUTPUT_DEV_O" + strings.Repeat("X", record.MaxDotenvVars-1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := workdir(t, minimalConfig)
			s := fakeStep{run: func(_ context.Context, r *Run) error { return r.Publish(deployed(sampleRecord(), "dev", tc.outs)) }}
			r := run(t, context.Background(), dir, nil, s)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "kiln-image.json")); err != nil {
				t.Fatalf("no record: %v", err)
			}
			env := readFile(t, filepath.Join(dir, "kiln.env"))
			if !strings.Contains(env, "KILN_IMAGE_ID=") {
				t.Fatalf("kiln.env lacks the record's variables:\n%s", env)
			}
			for _, k := range tc.left {
				if !strings.Contains(r.stderr, "warning: ") || !strings.Contains(r.stderr, k) {
					t.Errorf("stderr %q does not warn about %q", r.stderr, k)
				}
				if strings.Contains(env, k+"=") {
					t.Errorf("kiln.env holds %s:\n%s", k, env)
				}
			}
		})
	}
}

// deployed adds a deployment of env with string outputs to rec.
func deployed(rec *record.Record, env string, outs map[string]string) *record.Record {
	d := record.Deployment{Environment: env, ImageID: rec.Image.ID, At: t0, Outputs: map[string]record.Output{}}
	for k, v := range outs {
		raw, _ := json.Marshal(v)
		d.Outputs[k] = record.Output{Value: raw}
	}
	rec.Deployments = append(rec.Deployments, d)
	return rec
}

// TestPublishFromRecordAlone checks that kiln.env says what the record says and nothing
// else: not what it said before (another image's test status, promotion or outputs, a
// variable someone added), whatever it held.
func TestPublishFromRecordAlone(t *testing.T) {
	const earlierID = "local:sha256:cd3400000000000000000000000000000000000000000000000000000000000f"
	// own are the variables of sampleRecord.
	own := []string{"KILN_BUILT_AT=2026-11-21T10:30:00Z", "KILN_IMAGE_FAMILY=demo", "KILN_IMAGE_ID=" + imageID,
		"KILN_IMAGE_NAME=demo-20261121103000-0123abc", "KILN_SOURCE_SHA=0123abcdef"}
	envOf := func(lines ...string) string {
		lines = append(append([]string(nil), own...), lines...)
		sort.Strings(lines)
		return strings.Join(lines, "\n") + "\n"
	}
	tested := func() *record.Record {
		rec := sampleRecord()
		rec.Tests = &record.Tests{Status: record.StatusPassed, Passed: 1, Total: 1, ImageID: imageID, Environment: "dev", At: t0}
		return rec
	}
	for _, tc := range []struct {
		name   string
		before string // kiln.env before Publish
		rec    *record.Record
		want   string // kiln.env after
	}{
		{"new image", "KILN_EARLIER=gone\nKILN_IMAGE_ID=" + earlierID + "\nKILN_OUTPUT_DEV_ADDRESS=10.0.0.1:80\n" +
			"KILN_OUTPUT_PROD_URL=http://10.0.0.2/\nKILN_PROMOTED_ENVIRONMENT=prod\nKILN_TEST_STATUS=passed\n",
			sampleRecord(), envOf()},
		{"new image with its own outputs", "KILN_IMAGE_ID=" + earlierID + "\nKILN_OUTPUT_DEV_ADDRESS=10.0.0.1:80\nKILN_TEST_STATUS=failed\n",
			deployed(sampleRecord(), "dev", map[string]string{"url": "http://127.0.0.1:8080/"}),
			envOf("KILN_OUTPUT_DEV_URL=http://127.0.0.1:8080/")},
		{"tested", "KILN_IMAGE_ID=" + imageID + "\nKILN_PROMOTED_ENVIRONMENT=prod\nKILN_TEST_STATUS=failed\n",
			tested(), envOf("KILN_TEST_STATUS=passed")},
		{"no kiln.env before", "", deployed(deployed(tested(), "dev", map[string]string{"address": "127.0.0.1:8080"}),
			"prod", map[string]string{"url": "http://10.0.0.2/"}),
			envOf("KILN_OUTPUT_DEV_ADDRESS=127.0.0.1:8080", "KILN_OUTPUT_PROD_URL=http://10.0.0.2/", "KILN_TEST_STATUS=passed")},
		{"a kiln.env kiln cannot read", "not a dotenv line\n", sampleRecord(), envOf()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := workdir(t, minimalConfig)
			writeFile(t, filepath.Join(dir, "kiln.env"), tc.before)
			s := fakeStep{run: func(_ context.Context, r *Run) error { return r.Publish(tc.rec) }}
			r := run(t, context.Background(), dir, nil, s)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if got := readFile(t, filepath.Join(dir, "kiln.env")); got != tc.want {
				t.Errorf("kiln.env:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestReadRecordDisagreeingEnv: a kiln.env naming another image than the record is reported,
// and the record is what the step gets.
func TestReadRecordDisagreeingEnv(t *testing.T) {
	dir := workdir(t, minimalConfig)
	publish := fakeStep{run: func(_ context.Context, r *Run) error { return r.Publish(sampleRecord()) }}
	if r := run(t, context.Background(), dir, nil, publish); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	const other = "local:sha256:ee5600000000000000000000000000000000000000000000000000000000000f"
	writeFile(t, filepath.Join(dir, "kiln.env"), "KILN_IMAGE_ID="+other+"\n")
	var got string
	read := fakeStep{run: func(_ context.Context, r *Run) error {
		rec, err := r.ReadRecord()
		if err == nil {
			got = rec.Image.ID
		}
		return err
	}}
	r := run(t, context.Background(), dir, nil, read)
	if r.code != 0 || got != imageID {
		t.Fatalf("exit %d, image %q: %s", r.code, got, r.stderr)
	}
	if !strings.Contains(r.stderr, "kiln.env names image "+other+" but") || !strings.Contains(r.stderr, "kiln goes by the record") {
		t.Errorf("no warning: %s", r.stderr)
	}
}
