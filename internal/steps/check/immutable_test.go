package check

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/checks"
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/terraform"
)

const immutableKiln = `version: 1
image: {family: demo}
packer: {template: packer/}
environments:
  dev: {terraform: tf/}
  prod: {terraform: tf/}
test:
  checks:
    - name: health
      http: {url: "http://{{ .Outputs.address }}/healthz"}
    - name: immutable-http
      immutable:
        url: "http://{{ .Outputs.address }}/facts"
        services_off: [cron]
      environments: [dev, prod]
    - name: immutable-ssh
      immutable:
        address: "{{ .Outputs.ssh_address }}"
        user: root
        private_key_file: keys/id_ed25519
        host_key: "{{ .Outputs.ssh_host_key }}"
        read_only_root: false
      environments: [prod]
`

const baked = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestSpecsForImmutable(t *testing.T) {
	cfg, err := config.Parse([]byte(immutableKiln), "ci/kiln.yaml", "/repo/ci")
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{"Outputs": map[string]any{"address": "127.0.0.1:8080", "ssh_address": "127.0.0.1:2222", "ssh_host_key": "ssh-ed25519 AAAA host"}}
	rm := remote{cfg: cfg, getenv: func(string) string { return "" }, dir: "/work", packages: baked}

	var names []string
	for _, c := range cfg.Test.ChecksFor("dev") {
		names = append(names, c.Name)
	}
	if strings.Join(names, " ") != "health immutable-http" {
		t.Errorf("dev runs %v", names)
	}
	prod := cfg.Test.ChecksFor("prod")
	specs, err := specsFor(prod, data, rm)
	if err != nil {
		t.Fatal(err)
	}
	want := []checks.Spec{
		{Name: "immutable-http", Kind: "immutable", Timeout: 2 * time.Minute, Interval: 2 * time.Second, Immutable: &checks.Immutable{
			URL: "http://127.0.0.1:8080/facts", ReadOnlyRoot: true, ServicesOff: []string{"cron"}, PackagesUnchanged: true, BakedPackages: baked}},
		{Name: "immutable-ssh", Kind: "immutable", Timeout: 2 * time.Minute, Interval: 2 * time.Second, Immutable: &checks.Immutable{
			SSH:          &checks.SSHTarget{Address: "127.0.0.1:2222", User: "root", PrivateKeyFile: "/repo/ci/keys/id_ed25519", HostKey: "ssh-ed25519 AAAA host"},
			ServicesOff:  config.DefaultServicesOff,
			ReadOnlyRoot: false, PackagesUnchanged: true, BakedPackages: baked}},
	}
	if !reflect.DeepEqual(specs, want) {
		t.Errorf("specs =\n%+v %+v\nwant\n%+v %+v", *specs[0].Immutable, *specs[1].Immutable, *want[0].Immutable, *want[1].Immutable)
	}

	// A URL that renders to something else than http(s) is a usage error, never quoted.
	bad := map[string]any{"Outputs": map[string]any{"address": "u:pw@x/../", "ssh_address": "a", "ssh_host_key": "k"}}
	cfg2, err := config.Parse([]byte(strings.Replace(immutableKiln, `url: "http://{{ .Outputs.address }}/facts"`, `url: "{{ .Outputs.address }}"`, 1)), "kiln.yaml", "/repo")
	if err != nil {
		t.Fatal(err)
	}
	_, err = specsFor(cfg2.Test.ChecksFor("prod"), bad, rm)
	if err == nil || err.Error() != "check immutable-http: immutable.url: the rendered URL is not http:// or https:// with a host" {
		t.Errorf("error %v", err)
	}
}

func TestDeployer(t *testing.T) {
	cfg, err := config.Parse([]byte(immutableKiln), "kiln.yaml", "/repo")
	if err != nil {
		t.Fatal(err)
	}
	for env, want := range map[string]string{"dev": "kiln-deploy-dev", "prod": "kiln-promote", "qa": "kiln-deploy-dev --environment qa"} {
		if got := deployer(cfg, env); got != want {
			t.Errorf("deployer(%s) = %s, want %s", env, got, want)
		}
	}
}

func TestVerification(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	st := &terraform.State{Lineage: liveLin, Serial: 4, Digest: "sha256:ab"}
	run := &ran{state: st, results: []checks.Result{
		{Name: "immutable", Kind: "immutable", Passed: false, Message: "root file system is mounted read-write (rw)", Attempts: 2, Duration: 1500 * time.Millisecond},
		{Name: "health", Kind: "http", Passed: true, Message: "ok", Attempts: 1},
	}}
	got := verification(run, liveID, at, "kiln-junit.xml")
	want := record.Verification{Status: record.StatusFailed, Passed: 1, Failed: 1, Total: 2, ImageID: liveID, At: at, JUnit: "kiln-junit.xml",
		StateLineage: liveLin, StateSerial: 4, StateDigest: "sha256:ab", Checks: []record.CheckResult{
			{Name: "immutable", Kind: "immutable", Status: record.StatusFailed, Message: "root file system is mounted read-write (rw)", Attempts: 2, DurationMS: 1500},
			{Name: "health", Kind: "http", Status: record.StatusPassed, Message: "ok", Attempts: 1},
		}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("verification =\n%+v\nwant\n%+v", got, want)
	}
	rec, _ := liveRecord(liveID, liveLin)
	rec.SetVerification("prod", got)
	if _, err := rec.Encode(); err != nil {
		t.Errorf("the record with the verification does not encode: %v", err)
	}
}
