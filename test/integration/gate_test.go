package integration

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/attest/attesttest"
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/gitlab/gitlabtest"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/local"
)

// gateCase is one attempt to get an untested, forged or foreign image into prod.
type gateCase struct {
	name   string
	signed bool // kiln.yaml has an attest block
	try    func(s *scene)
}

// TestGateHolds: each case plays an attacker (or an unlucky pipeline) with the real binaries,
// Packer and Terraform, and checks the refusal: its exit code, its one line, and that prod's
// state and the family pointer did not change.
func TestGateHolds(t *testing.T) {
	cases := append(append(append(raceCases(), forgeryCases()...), sideDoorCases()...), mismatchCases()...)
	cases = append(append(cases, registryCases()...), tamperCases()...)
	if len(cases) < 30 {
		t.Fatalf("%d cases; the suite promises at least 30", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.try(newScene(t, c.signed))
		})
	}
}

func raceCases() []gateCase {
	return []gateCase{
		{name: "dev redeployed with another image before the tests", try: func(s *scene) {
			x := s.baked(1)
			s.must("deploy-dev", nil)
			x = s.record()
			s.baked(2)
			s.must("deploy-dev", nil) // another pipeline's image now runs in dev
			s.put(x)
			r := s.refused("test", nil, nil, 1, "refusing to test: dev runs another image than")
			if strings.Contains(s.record(), `"tests"`) {
				s.t.Fatalf("kiln-test recorded tests after refusing: %s", r)
			}
			s.refused("promote", nil, nil, 8, "has no test results")
		}},
		{name: "dev redeployed while the checks run", try: func(s *scene) {
			s.baked(2)
			s.must("deploy-dev", nil)
			other := filepath.Join(s.dir, "other.json")
			writeFile(s.t, other, s.record())
			s.baked(1)
			s.must("deploy-dev", nil)
			var once sync.Once
			s.redirectDev(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				once.Do(func() { // the first probe: another pipeline deploys image 2 meanwhile
					cmd := exec.Command(filepath.Join(binDir, "kiln-deploy-dev"))
					cmd.Dir, cmd.Env = s.dir, baseEnv(s.dir, map[string]string{"KILN_RECORD": other})
					if out, err := cmd.CombinedOutput(); err != nil {
						s.t.Errorf("racing deploy: %v\n%s", err, out)
					}
				})
				w.Write([]byte("ok"))
			}))
			s.must("deploy-dev", nil) // dev's address changed with kiln.yaml: redeploy image 1
			s.refused("test", nil, nil, 1, "changed while the checks ran", "nothing was recorded as passed")
			if strings.Contains(s.record(), `"tests"`) {
				s.t.Fatal("kiln-test recorded tests after refusing")
			}
		}},
		{name: "test after destroy-dev", try: func(s *scene) {
			s.baked(1)
			s.must("deploy-dev", nil)
			s.must("destroy-dev", nil)
			s.refused("test", nil, nil, 1, "dev was destroyed at ")
		}},
		{name: "test after destroy-dev, the destroyed mark forged away", try: func(s *scene) {
			s.baked(1)
			s.must("deploy-dev", nil)
			s.must("destroy-dev", nil)
			s.forge(func(r *record.Record) { r.Deployments[0].Destroyed = time.Time{} })
			s.refused("test", nil, nil, 1, "state is empty")
		}},
		{name: "record's deployment names another state", try: func(s *scene) {
			s.baked(1)
			s.must("deploy-dev", nil)
			s.forge(func(r *record.Record) { r.Deployments[0].StateLineage = "00000000-0000-0000-0000-000000000000" })
			s.refused("test", nil, nil, 1, "is not the one image")
		}},
		{name: "tests copied from before a redeploy of another image", try: func(s *scene) {
			s.tested(1)
			x := s.decode(s.record())
			s.baked(2)
			s.must("deploy-dev", nil)
			// image 2's record gets image 1's passing tests, re-pointed at image 2
			s.forge(func(r *record.Record) {
				t := *x.Tests
				t.ImageID = r.Image.ID
				r.Tests = &t
			})
			s.refused("promote", nil, nil, 8, "before its deployment")
		}},
	}
}

func forgeryCases() []gateCase {
	return []gateCase{
		{name: "untested record", try: func(s *scene) {
			s.baked(1)
			s.must("deploy-dev", nil)
			s.refused("promote", nil, nil, 8, "promotion refused", "has no test results")
		}},
		{name: "record edited by hand", try: func(s *scene) {
			rec := s.tested(1)
			s.put(strings.Replace(rec, `"passed": 2`, `"passed": 3`, 1))
			s.refused("promote", nil, nil, 6, "kiln-image.json", "edited")
		}},
		{name: "truncated record", try: func(s *scene) {
			rec := s.tested(1)
			s.put(rec[:len(rec)/3])
			s.refused("promote", nil, nil, 6, "kiln-image.json")
		}},
		{name: "forged tests without a deployment", try: func(s *scene) {
			s.baked(1)
			s.forge(func(r *record.Record) {
				r.Tests = &record.Tests{Status: "passed", Passed: 2, Total: 2, ImageID: r.Image.ID, Environment: "dev",
					Family: "demo-web", At: time.Now().UTC()}
			})
			s.refused("promote", nil, nil, 8, "another test block")
		}},
		{name: "failed tests", try: func(s *scene) {
			s.baked(1)
			s.must("deploy-dev", nil)
			s.devOK.Store(false)
			wantExit(s.t, s.run("test", nil), 1, "health")
			s.refused("promote", nil, nil, 8, "failed (1 of 2 checks failed)")
		}},
		{name: "failed tests relabelled passed", try: func(s *scene) {
			s.baked(1)
			s.must("deploy-dev", nil)
			s.devOK.Store(false)
			s.run("test", nil)
			s.forge(func(r *record.Record) {
				r.Tests.Status, r.Tests.Failed, r.Tests.Passed = "passed", 0, 2
			})
			s.refused("promote", nil, nil, 8, "vouches for status \"failed\"")
		}, signed: true},
		{name: "signed: forged tests carry no attestation", signed: true, try: func(s *scene) {
			s.baked(1)
			s.must("deploy-dev", nil)
			d := s.decode(s.record()).Deployments[0]
			s.forge(func(r *record.Record) {
				r.Tests = &record.Tests{Status: "passed", Passed: 2, Total: 2, ImageID: r.Image.ID, Environment: "dev",
					Family: "demo-web", StateLineage: d.StateLineage, StateSerial: d.StateSerial, StateDigest: d.StateDigest,
					ChecksDigest: testDigest(s), At: time.Now().UTC()}
			})
			s.refused("promote", nil, nil, 8, "carry no signed attestation")
		}},
		{name: "signed: another image's attestation", signed: true, try: func(s *scene) {
			y := s.decode(s.tested(2))
			s.baked(1)
			s.must("deploy-dev", nil)
			d := s.decode(s.record()).Deployments[0]
			s.forge(func(r *record.Record) {
				t := *y.Tests
				t.ImageID, t.StateLineage, t.StateSerial, t.StateDigest = r.Image.ID, d.StateLineage, d.StateSerial, d.StateDigest
				r.Tests = &t
			})
			s.refused("promote", nil, nil, 8, "the attestation of image", "vouches for image")
		}},
		{name: "signed: attestation by another key", signed: true, try: func(s *scene) {
			priv, _ := attesttest.KeyPair(s.t, s.t.TempDir())
			s.baked(1)
			s.must("deploy-dev", nil)
			s.must("test", map[string]string{"KILN_ATTEST_KEY": priv})
			s.refused("promote", nil, nil, 8, "does not verify")
		}},
		{name: "signed: attestation payload edited", signed: true, try: func(s *scene) {
			s.tested(1)
			s.forge(func(r *record.Record) {
				p, _ := base64.StdEncoding.DecodeString(r.Tests.Attestation.Payload)
				p = []byte(strings.Replace(string(p), `"environment":"dev"`, `"environment":"qa"`, 1))
				r.Tests.Attestation.Payload = base64.StdEncoding.EncodeToString(p)
			})
			s.refused("promote", nil, nil, 8, "does not verify")
		}},
		{name: "signed: serial edited after signing", signed: true, try: func(s *scene) {
			s.tested(1)
			s.forge(func(r *record.Record) { r.Tests.StateSerial++; r.Deployments[0].StateSerial++ })
			s.refused("promote", nil, nil, 8, "vouches for state serial")
		}},
		{name: "signed: no key in the test job", signed: true, try: func(s *scene) {
			s.baked(1)
			s.must("deploy-dev", nil)
			wantExit(s.t, s.run("test", map[string]string{"KILN_ATTEST_KEY": ""}), 2, "KILN_ATTEST_KEY is not set")
			s.refused("promote", nil, nil, 8, "has no test results")
		}},
	}
}

func sideDoorCases() []gateCase {
	return []gateCase{
		{name: "deploy-dev --environment prod", try: func(s *scene) {
			s.baked(1)
			s.refused("deploy-dev", nil, []string{"--environment", "prod"}, 8, "refuses prod, the promote environment")
		}},
		{name: "deploy-dev with KILN_ENVIRONMENT=prod", try: func(s *scene) {
			s.baked(1)
			s.refused("deploy-dev", map[string]string{"KILN_ENVIRONMENT": "prod"}, nil, 8, "refuses prod")
		}},
		{name: "an environment aliasing prod's state", try: func(s *scene) {
			s.baked(1)
			s.setConfig(strings.Replace(s.template, "test:\n", "  staging:\n    terraform: terraform/\n    workspace: prod\n    vars:\n      port: 1\ntest:\n", 1))
			s.refused("deploy-dev", nil, []string{"--environment", "staging"}, 2, "same Terraform state as prod")
		}},
		{name: "destroy-dev of prod", try: func(s *scene) {
			s.tested(1)
			s.must("promote", nil)
			s.refused("destroy-dev", nil, []string{"--environment", "prod"}, 2, "refusing to destroy prod")
		}},
		{name: "rollback --to an image never promoted", try: func(s *scene) {
			s.tested(1)
			s.must("promote", nil)
			bad := s.decode(s.baked(2)).Image.ID
			s.refused("rollback", nil, []string{"--to", bad}, 8, "was never promoted in family demo-web")
		}},
		{name: "rollback --to a failed image", try: func(s *scene) {
			s.tested(1)
			s.must("promote", nil)
			s.baked(2)
			s.must("deploy-dev", nil)
			s.devOK.Store(false)
			s.run("test", nil)
			failed := s.decode(s.record()).Image.ID
			s.refused("rollback", nil, []string{"--to", failed}, 8, "never promoted")
		}},
		{name: "signed: rollback to an image whose attestation is gone", signed: true, try: func(s *scene) {
			first := s.decode(s.tested(1)).Image.ID
			s.must("promote", nil)
			s.tested(2)
			s.must("promote", nil)
			hex := strings.TrimPrefix(first, local.IDPrefix)
			os.Remove(filepath.Join(s.dir, ".kiln", "images", "attestations", hex+".json"))
			s.refused("rollback", nil, nil, 8, "no signed test attestation of image")
		}},
		{name: "file mode on stable in a GitLab job", try: func(s *scene) {
			s.tested(1)
			s.refused("promote", map[string]string{"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "stable", "CI_COMMIT_REF_NAME": "stable",
				"CI_COMMIT_SHA": sha(1), "KILN_PROMOTE_SOURCE": "file"}, nil, 8, "a bare file anyone could write is not enough")
		}},
		{name: "file mode on stable in GitHub Actions", try: func(s *scene) {
			s.tested(1)
			s.refused("promote", map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REF_NAME": "stable", "GITHUB_SHA": sha(1)},
				nil, 8, "in a CI job on stable")
		}},
		{name: "Jenkins build of another commit", try: func(s *scene) {
			s.tested(1)
			s.refused("promote", map[string]string{"JENKINS_URL": "http://127.0.0.1:9/", "BRANCH_NAME": "master", "GIT_COMMIT": sha(7)},
				nil, 8, "the record was baked from "+sha(1)+", and this job built "+sha(7))
		}},
		{name: "GitLab mode: downloaded record untested, local look-alike passing", try: func(s *scene) {
			tested := s.tested(1)
			untested := s.decode(tested)
			untested.Tests = nil
			data, err := untested.Encode()
			if err != nil {
				s.t.Fatal(err)
			}
			f, _ := stableMerge(s.t, gitlabtest.MergeRequest{MergeCommitSHA: mergeCommit}, retarget(s.t, string(data), sourceSHA))
			s.put(retarget(s.t, tested, sourceSHA)) // the look-alike, tests and all
			s.refused("promote", gitlabEnv(f, mergeCommit, nil), nil, 8, "has no test results")
		}},
	}
}

func mismatchCases() []gateCase {
	return []gateCase{
		{name: "tested in another environment than test.environment", try: func(s *scene) {
			s.tested(1)
			s.setConfig(strings.Replace(strings.Replace(s.template, "test:\n  environment: dev\n", "test:\n  environment: qa\n", 1),
				"test:\n", "  qa:\n    terraform: terraform/\n    vars:\n      port: 1\ntest:\n", 1))
			s.refused("promote", nil, nil, 8, "was tested in dev, not in test.environment qa")
		}},
		{name: "record of another family", try: func(s *scene) {
			s.tested(1)
			s.setConfig(strings.Replace(s.template, "family: demo-web", "family: billing", 1))
			s.refused("promote", nil, nil, 8, "belongs to family demo-web, and kiln.yaml promotes family billing")
		}},
		{name: "checks added since the tests", try: func(s *scene) {
			s.tested(1)
			s.setConfig(s.template + "    - name: extra\n      tcp:\n        address: \"{{ .Outputs.address }}\"\n")
			s.refused("promote", nil, nil, 8, "ran another test block than kiln.yaml's")
		}},
		{name: "check timeout loosened since the tests", try: func(s *scene) {
			s.tested(1)
			s.setConfig(strings.Replace(s.template, "timeout: 20s", "timeout: 21s", 1))
			s.refused("promote", nil, nil, 8, "another test block")
		}},
		{name: "OBSOLETE image", try: func(s *scene) {
			id := s.decode(s.tested(1)).Image.ID
			reg := &local.Registry{Dir: filepath.Join(s.dir, ".kiln", "images"), Now: time.Now}
			reg.SetState(context.Background(), id, registry.Obsolete, registry.Dates{Obsolete: time.Now()})
			s.refused("promote", nil, nil, 8, "is OBSOLETE")
		}},
		{name: "DELETED image", try: func(s *scene) {
			id := s.decode(s.tested(1)).Image.ID
			reg := &local.Registry{Dir: filepath.Join(s.dir, ".kiln", "images"), Now: time.Now}
			reg.Delete(context.Background(), id, time.Now())
			s.refused("promote", nil, nil, 8, "is DELETED")
		}},
		{name: "older image than the family's current one", try: func(s *scene) {
			old := s.tested(1)
			time.Sleep(1100 * time.Millisecond) // registry times have second resolution in some registries
			s.tested(2)
			s.must("promote", nil)
			s.put(old)
			s.refused("promote", nil, nil, 8, "is older than", "kiln-rollback's job")
		}},
		{name: "GitLab mode: downloaded record of another family", try: func(s *scene) {
			tested := s.tested(1)
			f, _ := stableMerge(s.t, gitlabtest.MergeRequest{MergeCommitSHA: mergeCommit}, retarget(s.t, tested, sourceSHA))
			s.setConfig(strings.Replace(s.template, "family: demo-web", "family: billing", 1))
			os.Remove(s.recordPath())
			s.refused("promote", gitlabEnv(f, mergeCommit, nil), nil, 8, "and kiln.yaml promotes family billing")
		}},
	}
}

func registryCases() []gateCase {
	imageDir := func(s *scene, id string) string {
		return filepath.Join(s.dir, ".kiln", "images", "images", strings.TrimPrefix(id, local.IDPrefix))
	}
	return []gateCase{
		{name: "image file swapped, metadata hash rewritten", try: func(s *scene) {
			id := s.decode(s.tested(1)).Image.ID
			dir := imageDir(s, id)
			files, _ := filepath.Glob(filepath.Join(dir, "*.img"))
			os.Chmod(files[0], 0o644)
			writeFile(s.t, files[0], "evil bytes\n")
			meta := readFile(s.t, filepath.Join(dir, "image.json"))
			i := strings.Index(meta, `"sha256": "`) + len(`"sha256": "`)
			writeFile(s.t, filepath.Join(dir, "image.json"), meta[:i]+sha256File(s.t, files[0])+meta[i+64:])
			s.refused("promote", nil, nil, 7, "tampered with")
		}},
		{name: "image file swapped", try: func(s *scene) {
			id := s.decode(s.tested(1)).Image.ID
			files, _ := filepath.Glob(filepath.Join(imageDir(s, id), "*.img"))
			os.Chmod(files[0], 0o644)
			writeFile(s.t, files[0], "evil bytes\n")
			s.refused("promote", nil, nil, 7, "changed since it was imported")
		}},
		{name: "another image's metadata copied over", try: func(s *scene) {
			other := s.decode(s.baked(2)).Image.ID
			id := s.decode(s.tested(1)).Image.ID
			writeFile(s.t, filepath.Join(imageDir(s, id), "image.json"), readFile(s.t, filepath.Join(imageDir(s, other), "image.json")))
			s.refused("promote", nil, nil, 7, "the registry's metadata names "+other)
		}},
		{name: "KILN_REGISTRY_PATH at a registry without the image", try: func(s *scene) {
			s.tested(1)
			s.refused("promote", map[string]string{"KILN_REGISTRY_PATH": s.t.TempDir()}, nil, 7, "is not in the registry")
		}},
	}
}

// testDigest is the digest of the scene's test block, as an attacker can compute it.
func testDigest(s *scene) string {
	cfg, err := config.Load(filepath.Join(s.dir, "kiln.yaml"))
	if err != nil {
		s.t.Fatal(err)
	}
	return cfg.ChecksDigest()
}

func tamperCases() []gateCase {
	devState := func(s *scene) string {
		return filepath.Join(s.dir, "terraform", "terraform.tfstate.d", "dev", "terraform.tfstate")
	}
	return []gateCase{
		{name: "dev state edited to point the checks at a healthy server", signed: true, try: func(s *scene) {
			s.baked(1)
			s.must("deploy-dev", nil)
			s.devOK.Store(false) // the image's service is broken
			st := readFile(s.t, devState(s))
			healthy := "127.0.0.1:" + port(s.t, s.world.prod) // lineage and serial kept
			writeFile(s.t, devState(s), strings.Replace(st, `"value": "127.0.0.1:`+port(s.t, s.dev)+`"`, `"value": "`+healthy+`"`, 1))
			if readFile(s.t, devState(s)) == st {
				s.t.Fatal("the state's address output was not found to edit")
			}
			s.refused("test", nil, nil, 1, "is not the one kiln-deploy-dev left for image", "written or edited since")
			s.refused("promote", nil, nil, 8, "has no test results")
		}},
		{name: "a master test job handed a feature branch's record", signed: true, try: func(s *scene) {
			s.baked(2) // baked from another commit than the job's
			s.must("deploy-dev", nil)
			s.refused("test", map[string]string{"JENKINS_URL": "http://127.0.0.1:9/", "BRANCH_NAME": "master", "GIT_COMMIT": sha(1),
				"KILN_SOURCE_SHA": ""}, nil, 1, "the record was baked from commit "+sha(2)+", and this job runs for "+sha(1))
		}},
		{name: "signed: rollback to an image tested with an older test block", signed: true, try: func(s *scene) {
			x := s.tested(1)
			s.setConfig(strings.Replace(s.template, "attest:\n", "    - name: extra\n      tcp:\n        address: \"{{ .Outputs.address }}\"\nattest:\n", 1))
			s.tested(2)
			s.must("promote", nil)
			id := s.decode(x).Image.ID
			fam := filepath.Join(s.dir, ".kiln", "images", "families", "demo-web.json")
			f := readFile(s.t, fam) // forge a promotion of image 1 into the history
			writeFile(s.t, fam, strings.Replace(f, `"history": [`, `"history": [{"image_id": "`+id+`", "at": "2026-01-01T00:00:00Z"},`, 1))
			writeFile(s.t, filepath.Join(s.dir, "x.json"), x)
			s.refused("rollback", nil, []string{"--to", id, "--attestation", "x.json"}, 8, "tested with another test block")
		}},
		{name: "family file of another family", try: func(s *scene) {
			s.tested(1)
			s.must("promote", nil)
			fam := filepath.Join(s.dir, ".kiln", "images", "families", "demo-web.json")
			writeFile(s.t, fam, strings.Replace(readFile(s.t, fam), `"name": "demo-web"`, `"name": "billing"`, 1))
			s.refused("rollback", nil, nil, 6, "names family \"billing\": the file was replaced")
		}},
		{name: "a line break in the record's family", try: func(s *scene) {
			rec := s.decode(s.tested(1))
			rec.Image.Family = "demo-web\nkiln-promote: promoted"
			s.put(rawRecord(s.t, rec)) // digest recomputed by hand, as jq and sha256sum would
			s.refused("promote", nil, nil, 6, "image.family holds a control character")
		}},
	}
}

// rawRecord encodes r as kiln does, with its digest recomputed, without kiln's validation:
// what an attacker with jq and sha256sum writes.
func rawRecord(t *testing.T, r *record.Record) string {
	t.Helper()
	marshal := func(indent bool) []byte {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if indent {
			enc.SetIndent("", "  ")
		}
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	r.Digest = ""
	sum := sha256.Sum256(bytes.TrimSuffix(marshal(false), []byte("\n")))
	r.Digest = "sha256:" + hex.EncodeToString(sum[:])
	return string(marshal(true))
}
