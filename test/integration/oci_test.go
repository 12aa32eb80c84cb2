package integration

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry/oci"
	"github.com/kiln-ci/kiln/internal/registry/oci/ocitest"
)

// ociTerraform replaces the fast fixture's Terraform: the stand-in VM also records the
// SHA-256 of the disk kiln handed it in KILN_IMAGE_PATH, and where that disk was.
const ociTerraform = `variable "image_id" {
  type = string
}

variable "port" {
  type = number
}

resource "terraform_data" "vm" {
  input = var.image_id
  provisioner "local-exec" {
    command = "sha256sum \"$KILN_IMAGE_PATH\" > \"${path.module}/disk-${terraform.workspace}.sha256\""
  }
}

output "image_id" {
  value = terraform_data.vm.output
}

output "address" {
  value = "127.0.0.1:${var.port}"
}
`

// TestOCIRunners: kiln-bake on one runner pushes the image to an OCI registry (TLS with a
// private CA, htpasswd login from KILN_REGISTRY_USERNAME/PASSWORD); kiln-deploy-dev, -test
// and -promote on another runner, which shares nothing with the first but the registry and
// the record (the CI's job artifact), pull it by digest with docker login's credentials
// and hand Terraform the cached disk. No password reaches an output or the record.
func TestOCIRunners(t *testing.T) {
	s := ocitest.Start(t, ocitest.Options{Auth: true, TLS: true})
	repo := s.Repository("team/vm-images")
	bakeRunner := newWorld(t)
	cfg := bakeRunner.template + "registry:\n  type: oci\n  repository: " + repo + "\n  ca_file: certs/ca.pem\n"
	deployRunner := t.TempDir()
	copyDir(t, filepath.Join("testdata", "fast"), deployRunner)
	for _, dir := range []string{bakeRunner.dir, deployRunner} {
		writeFile(t, filepath.Join(dir, "kiln.yaml"), cfg)
		writeFile(t, filepath.Join(dir, "terraform", "main.tf"), ociTerraform)
		writeFile(t, filepath.Join(dir, "certs", "ca.pem"), readFile(t, s.CAFile))
	}
	login := map[string]string{"KILN_REGISTRY_USERNAME": s.User, "KILN_REGISTRY_PASSWORD": s.Password}
	// The deploy runner logged in with `docker login` earlier: its config file has the auth.
	writeFile(t, filepath.Join(deployRunner, ".home", ".docker", "config.json"),
		`{"auths":{"`+s.Host+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte(s.User+":"+s.Password))+`"}}}`)

	var outputs []result
	outputs = append(outputs, must(t, bakeRunner.dir, "validate", login))
	bake := must(t, bakeRunner.dir, "bake", login)
	outputs = append(outputs, bake)
	files := bakeRunner.packerOutputs(t)
	if len(files) != 1 {
		t.Fatalf("packer wrote %v", files)
	}
	diskSum := sha256File(t, files[0])
	rec, err := record.Read(filepath.Join(bakeRunner.dir, "kiln-image.json"))
	if err != nil {
		t.Fatal(err)
	}
	gotRepo, _, ok := oci.ParseID(rec.Image.ID)
	if !ok || gotRepo != repo || rec.Image.Provider != "oci" {
		t.Fatalf("record image %+v", rec.Image)
	}
	if !strings.Contains(bake.stderr, "credentials: KILN_REGISTRY_USERNAME/KILN_REGISTRY_PASSWORD") {
		t.Errorf("bake does not say where its credentials came from:\n%s", bake.stderr)
	}
	if _, err := os.Stat(filepath.Join(bakeRunner.dir, ".kiln", "images")); !os.IsNotExist(err) {
		t.Errorf("bake wrote a local registry: %v", err)
	}

	// The record is the only file that travels, as the bake job's artifact.
	writeFile(t, filepath.Join(deployRunner, "kiln-image.json"), readFile(t, filepath.Join(bakeRunner.dir, "kiln-image.json")))
	deploy := must(t, deployRunner, "deploy-dev", nil)
	outputs = append(outputs, deploy)
	if !strings.Contains(deploy.stderr, "pulled") || !strings.Contains(deploy.stderr, filepath.Join(deployRunner, ".home", ".cache", "kiln", "oci")) {
		t.Errorf("deploy-dev does not report the pull into the runner's cache:\n%s", deploy.stderr)
	}
	w := &world{dir: deployRunner}
	if got := w.state(t, "dev")["terraform_data.vm"]; got != rec.Image.ID {
		t.Fatalf("dev state holds %q, want %q", got, rec.Image.ID)
	}
	sum := readFile(t, filepath.Join(deployRunner, "terraform", "disk-dev.sha256"))
	if !strings.HasPrefix(sum, diskSum+"  "+filepath.Join(deployRunner, ".home", ".cache", "kiln", "oci", "images")) {
		t.Fatalf("Terraform's disk: %q, want the baked file (%s) from the deploy runner's cache", sum, diskSum)
	}

	// A second deploy of the same digest uses the cache.
	again := must(t, deployRunner, "deploy-dev", nil)
	outputs = append(outputs, again)
	if !strings.Contains(again.stderr, "in the cache") || strings.Contains(again.stderr, "pulled") {
		t.Errorf("second deploy-dev did not use the cache:\n%s", again.stderr)
	}
	outputs = append(outputs, must(t, deployRunner, "test", nil))
	outputs = append(outputs, must(t, deployRunner, "promote", nil))

	// The family tag now names the image, and the history holds the promotion.
	reg, err := oci.New(oci.Options{Repository: repo, CAFile: s.CAFile, Credential: auth.Credential{Username: s.User, Password: s.Password}})
	if err != nil {
		t.Fatal(err)
	}
	fam, err := reg.Pointer(context.Background(), "demo-web")
	if err != nil || fam.Current != rec.Image.ID || len(fam.History) != 1 || fam.History[0].Environment != "prod" {
		t.Fatalf("family pointer %+v, %v", fam, err)
	}
	img, err := reg.Lookup(context.Background(), rec.Image.ID)
	if err != nil || img.Labels["kiln-source-sha"] != "0123456789abcdef0123456789abcdef01234567" || img.Family != "demo-web" {
		t.Fatalf("image %+v, %v", img, err)
	}
	if time.Since(img.Created) > time.Hour {
		t.Errorf("image created %s", img.Created)
	}

	for _, r := range outputs {
		if strings.Contains(r.stdout+r.stderr, s.Password) {
			t.Fatalf("the registry password reached a step's output:\n%s", r)
		}
	}
	for _, dir := range []string{bakeRunner.dir, deployRunner} {
		for _, f := range []string{"kiln-image.json", "kiln.env"} {
			if b, err := os.ReadFile(filepath.Join(dir, f)); err == nil && strings.Contains(string(b), s.Password) {
				t.Fatalf("the registry password is in %s", filepath.Join(dir, f))
			}
		}
	}
}
