package integration

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/record"
)

// TestSecretOutputsStayOut: a Terraform output that echoes a Vault secret (here through
// nonsensitive(), as a careless configuration would) reaches neither kiln.env nor the
// record: kiln keeps it as a sensitive output without its value, and says so.
func TestSecretOutputsStayOut(t *testing.T) {
	vw := startVault(t)
	w := newVaultWorld(t)
	writeFile(t, filepath.Join(w.dir, "terraform", "echo.tf"),
		"output \"db_url\" {\n  value = nonsensitive(var.db_url)\n}\n\n"+
			"output \"connect\" {\n  value = \"psql ${nonsensitive(var.db_url)} -c 'select 1'\"\n}\n")
	secret := vw.secret("db_url")
	for _, st := range []string{"bake", "deploy-dev", "test", "promote"} {
		r := kiln(t, w.dir, st, vw.env(t, w, nil))
		if r.code != 0 {
			t.Fatalf("kiln-%s: %s", st, r)
		}
		if st == "deploy-dev" && !strings.Contains(r.stderr, "output connect of dev holds a secret value") {
			t.Errorf("kiln-deploy-dev does not warn about the echoing output: %s", r.stderr)
		}
		for _, out := range []string{r.stdout, r.stderr} {
			if strings.Contains(out, secret) {
				t.Fatalf("kiln-%s printed the secret", st)
			}
		}
	}
	for _, f := range []string{"kiln-image.json", "kiln.env"} {
		if strings.Contains(readFile(t, filepath.Join(w.dir, f)), secret) ||
			strings.Contains(readFile(t, filepath.Join(w.dir, f)), strings.TrimPrefix(secret, "postgres://")) {
			t.Fatalf("%s holds the secret", f)
		}
	}
	rec, err := record.Read(filepath.Join(w.dir, "kiln-image.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range []string{"dev", "prod"} {
		d := rec.Deployment(env)
		if d == nil {
			t.Fatalf("no %s deployment in the record", env)
		}
		for _, name := range []string{"db_url", "connect"} {
			if o := d.Outputs[name]; !o.Sensitive || len(o.Value) != 0 {
				t.Errorf("%s output %s: %+v, want sensitive without a value", env, name, o)
			}
		}
		if o := d.Outputs["address"]; o.Sensitive || len(o.Value) == 0 {
			t.Errorf("%s output address lost its value: %+v", env, o)
		}
	}
}
