package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kiln-ci/kiln/internal/testkit"
)

// world is a copy of the fast fixture with a dev and a prod "service" on 127.0.0.1.
type world struct {
	dir      string
	devOK    atomic.Bool // whether the dev service answers healthy
	dev      *httptest.Server
	prod     *httptest.Server
	template string // the fixture's kiln.yaml with ports filled in
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{dir: t.TempDir()}
	w.devOK.Store(true)
	w.dev = service(t, &w.devOK)
	var ok atomic.Bool
	ok.Store(true)
	w.prod = service(t, &ok)
	copyDir(t, filepath.Join("testdata", "fast"), w.dir)
	cfg := readFile(t, filepath.Join(w.dir, "kiln.yaml"))
	cfg = strings.ReplaceAll(cfg, "${DEV_PORT}", port(t, w.dev))
	cfg = strings.ReplaceAll(cfg, "${PROD_PORT}", port(t, w.prod))
	w.template = cfg
	writeFile(t, filepath.Join(w.dir, "kiln.yaml"), cfg)
	return w
}

// prodSeedable is the template with promote.environment moved to a third environment,
// live, so that kiln-deploy-dev may put an image into prod: tests of kiln-rotate use it to
// give prod's state an old image without going through the promotion gate.
func (w *world) prodSeedable() string {
	cfg := strings.Replace(w.template, "test:\n", "  live:\n    terraform: terraform/\n    vars:\n      port: 1\ntest:\n", 1)
	return cfg + "promote:\n  environment: live\n"
}

// state reads Terraform's own state for a workspace and returns the inputs of every
// terraform_data resource, by address.
func (w *world) state(t testing.TB, workspace string) map[string]string {
	t.Helper()
	path := filepath.Join(w.dir, "terraform", "terraform.tfstate.d", workspace, "terraform.tfstate")
	return testkit.StateInputs(t, []byte(readFile(t, path)), path)
}

// packerOutputs returns the files Packer wrote under the template's output directory.
func (w *world) packerOutputs(t testing.TB) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(w.dir, "packer", "output", "*.img"))
	return files
}

func sha256File(t testing.TB, path string) string {
	t.Helper()
	sum := sha256.Sum256([]byte(readFile(t, path)))
	return hex.EncodeToString(sum[:])
}

func itoa(n int) string { return strconv.Itoa(n) }

func service(t testing.TB, healthy *atomic.Bool) *httptest.Server { return testkit.Service(t, healthy) }
func port(t testing.TB, s *httptest.Server) string                { return testkit.Port(t, s) }
func readFile(t testing.TB, path string) string                   { return testkit.ReadFile(t, path) }
func writeFile(t testing.TB, path, content string)                { testkit.WriteFile(t, path, content) }
func copyDir(t testing.TB, from, to string)                       { testkit.CopyDir(t, from, to) }
