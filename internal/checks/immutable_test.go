package checks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// Two packages digests: the one at bake, and another.
var (
	bakedDigest = PackagesDigest([]string{"base-files 12.4 amd64", "cron 3.0 amd64"})
	otherDigest = PackagesDigest([]string{"base-files 12.4 amd64", "cron 3.0 amd64", "puppet 7.23 all"})
)

// cleanFacts are the facts of an immutable machine baked with bakedDigest.
func cleanFacts() Facts {
	return Facts{RootReadOnly: true, RootOptions: "ro,relatime",
		Services: map[string]ServiceState{
			"cron": {"not-found", "inactive"}, "puppet": {"masked", "inactive"}, "ssh": {"disabled", "failed"},
		},
		PackagesDigest: bakedDigest, PackageManager: "dpkg"}
}

func wantAll() Immutable {
	return Immutable{ReadOnlyRoot: true, ServicesOff: []string{"cron", "puppet", "ssh"}, PackagesUnchanged: true, BakedPackages: bakedDigest}
}

func TestPackagesDigest(t *testing.T) {
	sum := func(s string) string {
		h := sha256.Sum256([]byte(s))
		return "sha256:" + hex.EncodeToString(h[:])
	}
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"none", nil, sum("")},
		{"sorted bytewise, each line ends with a newline", []string{"zlib1g 1:1.2.13 amd64", "Zed 1 all", "apt 2.6.1 amd64"},
			sum("Zed 1 all\napt 2.6.1 amd64\nzlib1g 1:1.2.13 amd64\n")},
		{"punctuation sorts by byte", []string{"libc6 2.36 amd64", "lib+x 1 all", "lib-x 1 all"},
			sum("lib+x 1 all\nlib-x 1 all\nlibc6 2.36 amd64\n")},
		{"empty lines are skipped", []string{"", "b 1 all", "", "a 1 all", ""}, sum("a 1 all\nb 1 all\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]string(nil), tt.lines...)
			if got := PackagesDigest(tt.lines); got != tt.want {
				t.Errorf("PackagesDigest = %s, want %s", got, tt.want)
			}
			if !reflect.DeepEqual(in, tt.lines) {
				t.Errorf("PackagesDigest reordered its argument: %q", tt.lines)
			}
		})
	}
}

func TestImmutableProblems(t *testing.T) {
	tests := []struct {
		name  string
		facts func(*Facts)
		want  func(*Immutable)
		lines []string
	}{
		{"clean", nil, nil, nil},
		{"root read-write", func(f *Facts) { f.RootReadOnly, f.RootOptions = false, "rw,relatime" }, nil,
			[]string{"root file system is mounted read-write (rw,relatime)"}},
		{"ro among the options is enough", func(f *Facts) { f.RootReadOnly, f.RootOptions = false, "relatime,ro" }, nil, nil},
		{"root_read_only is enough", func(f *Facts) { f.RootOptions = "" }, nil, nil},
		{"no root options", func(f *Facts) { f.RootReadOnly, f.RootOptions = false, "" }, nil,
			[]string{"root file system is not mounted read-only (the facts give no mount options for /)"}},
		{"read-write root allowed", func(f *Facts) { f.RootReadOnly, f.RootOptions = false, "rw" }, func(m *Immutable) { m.ReadOnlyRoot = false }, nil},
		{"enabled and active", func(f *Facts) { f.Services["cron"] = ServiceState{"enabled", "active"} }, nil,
			[]string{"service cron is enabled and active"}},
		{"enabled, not running", func(f *Facts) { f.Services["puppet"] = ServiceState{"enabled", "inactive"} }, nil,
			[]string{"service puppet is enabled"}},
		{"running, not enabled", func(f *Facts) { f.Services["cron"] = ServiceState{"static", "active"} }, nil,
			[]string{"service cron is active"}},
		{"other words for on", func(f *Facts) { f.Services["cron"] = ServiceState{"enabled-runtime", "reloading"} }, nil,
			[]string{"service cron is enabled and active (enabled-runtime, reloading)"}},
		{"every off state", func(f *Facts) {
			for i, e := range []string{"disabled", "masked", "masked-runtime", "not-found", "static", "indirect", ""} {
				f.Services[string(rune('a'+i))] = ServiceState{e, "inactive"}
			}
		}, func(m *Immutable) { m.ServicesOff = []string{"a", "b", "c", "d", "e", "f", "g"} }, nil},
		{"deactivating is still on", func(f *Facts) { f.Services["ssh"] = ServiceState{"disabled", "deactivating"} }, nil,
			[]string{"service ssh is active (deactivating)"}},
		{"a service the facts leave out", func(f *Facts) { delete(f.Services, "puppet") }, nil,
			[]string{"the facts name no state for service puppet"}},
		{"no services asked", func(f *Facts) { f.Services = nil }, func(m *Immutable) { m.ServicesOff = nil }, nil},
		{"packages changed", func(f *Facts) { f.PackagesDigest = otherDigest }, nil,
			[]string{"packages changed since the bake: " + otherDigest[:19] + "... now, " + bakedDigest[:19] + "... at bake"}},
		{"packages not compared", func(f *Facts) { f.PackagesDigest = otherDigest }, func(m *Immutable) { m.PackagesUnchanged = false }, nil},
		{"no baked digest", nil, func(m *Immutable) { m.BakedPackages = "" }, []string{NoBakedDigest}},
		{"no package manager", func(f *Facts) { f.PackageManager, f.PackagesDigest = "none", "" }, nil,
			[]string{"the machine has no package manager kiln reads (dpkg or rpm): its packages cannot be compared with the bake"}},
		{"no digest reported", func(f *Facts) { f.PackagesDigest = "" }, nil,
			[]string{"the machine reported no packages digest (package manager dpkg)"}},
		{"malformed digest", func(f *Facts) { f.PackagesDigest = "sha256:XYZ" }, nil,
			[]string{`the machine reported a malformed packages digest "sha256:XYZ"`}},
		{"all at once, in order", func(f *Facts) {
			f.RootReadOnly, f.RootOptions = false, "rw,relatime"
			f.Services["cron"] = ServiceState{"enabled", "active"}
			f.PackagesDigest = otherDigest
		}, nil, []string{
			"root file system is mounted read-write (rw,relatime)",
			"service cron is enabled and active",
			"packages changed since the bake: " + otherDigest[:19] + "... now, " + bakedDigest[:19] + "... at bake",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, m := cleanFacts(), wantAll()
			if tt.facts != nil {
				tt.facts(&f)
			}
			if tt.want != nil {
				tt.want(&m)
			}
			if got := m.Problems(f); !reflect.DeepEqual(got, tt.lines) {
				t.Errorf("Problems =\n%q\nwant\n%q", got, tt.lines)
			}
		})
	}
}

func TestParseFacts(t *testing.T) {
	full := "kiln-facts 1\nroot_options ro,relatime\nservice cron not-found inactive\nservice getty@tty1.service enabled active\n" +
		"package_manager dpkg\npackages_digest " + bakedDigest + "\nend\n"
	want := Facts{RootReadOnly: true, RootOptions: "ro,relatime",
		Services:       map[string]ServiceState{"cron": {"not-found", "inactive"}, "getty@tty1.service": {"enabled", "active"}},
		PackagesDigest: bakedDigest, PackageManager: "dpkg"}
	tests := []struct {
		name    string
		out     string
		want    Facts
		wantErr string
	}{
		{"full", full, want, ""},
		{"after a login banner, with CRLF", "Welcome to dev-1\r\nkiln-facts 1\r\n" + strings.ReplaceAll(strings.TrimPrefix(full, "kiln-facts 1\n"), "\n", "\r\n"), want, ""},
		{"unknown keys are skipped", strings.Replace(full, "end\n", "kernel 6.1\nend\nroot_options rw\n", 1), want, ""},
		{"read-write, no services, no package manager", "kiln-facts 1\nroot_options rw,relatime\npackage_manager none\nend\n",
			Facts{RootOptions: "rw,relatime", Services: map[string]ServiceState{}, PackageManager: "none"}, ""},
		{"no mount of /", "kiln-facts 1\nroot_options \npackage_manager none\nend\n",
			Facts{Services: map[string]ServiceState{}, PackageManager: "none"}, ""},
		{"no header", "sh: 1: kiln: not found\n", Facts{}, "the facts script printed no facts (is sh there?)"},
		{"cut short", strings.TrimSuffix(full, "end\n"), Facts{}, "the facts script's output ended early"},
		{"malformed service", strings.Replace(full, "service cron not-found inactive", "service cron", 1), Facts{},
			`facts script: malformed line "service cron"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFacts([]byte(tt.out))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseFacts =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// factsServer serves the facts *facts holds at /facts and records each query.
type factsServer struct {
	*httptest.Server
	mu      sync.Mutex
	facts   Facts
	status  int
	queries []string
}

func newFactsServer(t *testing.T) *factsServer {
	t.Helper()
	s := &factsServer{facts: cleanFacts(), status: http.StatusOK}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.queries = append(s.queries, r.Method+" "+r.URL.RequestURI())
		if s.status != http.StatusOK {
			http.Error(w, "down", s.status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.facts)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *factsServer) set(f func(*Facts, *int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.facts, &s.status)
}

func TestImmutableHTTP(t *testing.T) {
	ro := "passed on attempt 1: root read-only (ro,relatime), 3 services off, packages as baked (dpkg " + bakedDigest[:19] + "...)"
	tests := []struct {
		name   string
		path   string
		change func(*Facts, *int)
		passed bool
		query  string
		want   string
	}{
		{"clean", "/facts", nil, true, "GET /facts?services=cron,puppet,ssh", ro},
		{"query kept", "/facts?env=prod", nil, true, "GET /facts?env=prod&services=cron,puppet,ssh", ro},
		{"root read-write", "/facts", func(f *Facts, _ *int) { f.RootReadOnly, f.RootOptions = false, "rw,relatime" }, false, "",
			"gave up after 3 attempts in 4s: root file system is mounted read-write (rw,relatime)"},
		{"a service on, packages changed", "/facts", func(f *Facts, _ *int) {
			f.Services["cron"] = ServiceState{"enabled", "active"}
			f.PackagesDigest = otherDigest
		}, false, "", "gave up after 3 attempts in 4s: service cron is enabled and active; packages changed since the bake: " +
			otherDigest[:19] + "... now, " + bakedDigest[:19] + "... at bake"},
		{"endpoint down", "/facts", func(_ *Facts, st *int) { *st = http.StatusServiceUnavailable }, false, "",
			"gave up after 3 attempts in 4s: GET {URL}/facts?services=cron,puppet,ssh: status 503, want 200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFactsServer(t)
			if tt.change != nil {
				srv.set(tt.change)
			}
			m := wantAll()
			m.URL = srv.URL + tt.path
			r, _, _ := testRunner()
			got := r.Run(context.Background(), []Spec{{Name: "immutable", Kind: "immutable", Timeout: 5 * time.Second, Immutable: &m}})[0]
			want := strings.ReplaceAll(tt.want, "{URL}", srv.URL)
			if got.Passed != tt.passed || got.Message != want || got.Kind != "immutable" {
				t.Errorf("got passed=%v %q\nwant passed=%v %q", got.Passed, got.Message, tt.passed, want)
			}
			if tt.query != "" && (len(srv.queries) != 1 || srv.queries[0] != tt.query) {
				t.Errorf("requests %q, want [%s]", srv.queries, tt.query)
			}
		})
	}
}

func TestImmutableFailsAtOnce(t *testing.T) {
	srv := newFactsServer(t)
	tests := []struct {
		name string
		m    Immutable
		want string
	}{
		{"no baked digest", Immutable{URL: srv.URL, PackagesUnchanged: true}, NoBakedDigest},
		{"malformed baked digest", Immutable{URL: srv.URL, PackagesUnchanged: true, BakedPackages: "sha256:ab"},
			`the record's packages digest "sha256:ab" is not sha256:<64 hex digits>`},
		{"bad service name", Immutable{URL: srv.URL, ServicesOff: []string{"cron; reboot"}}, `"cron; reboot" is not a systemd unit name`},
		{"not http", Immutable{URL: "ftp://u:secret@host/facts", ReadOnlyRoot: true}, `invalid URL "ftp://host/facts": want http:// or https:// and a host`},
		{"nowhere to read", Immutable{ReadOnlyRoot: true}, "immutable: no facts URL and no SSH target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := testRunner()
			got := r.Run(context.Background(), []Spec{{Name: "i", Kind: "immutable", Immutable: &tt.m}})[0]
			if got.Passed || got.Attempts != 0 || got.Message != tt.want {
				t.Errorf("got %+v, want a failure without attempts: %s", got, tt.want)
			}
		})
	}
	if len(srv.queries) != 0 {
		t.Errorf("the endpoint was asked: %q", srv.queries)
	}
}

// hostFacts runs FactsScript with a real sh on this machine, with PATH, and parses it.
func hostFacts(t *testing.T, services []string, path string) Facts {
	t.Helper()
	cmd := exec.Command("sh", "-c", FactsScript(services))
	cmd.Env = []string{"PATH=" + path}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh -c script: %v", err)
	}
	f, err := ParseFacts(out)
	if err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
	return f
}

// rootOptions reads the options of the last mount on / from /proc/mounts.
func rootOptions(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("/proc/mounts")
	if err != nil {
		t.Skipf("no /proc/mounts: %v", err)
	}
	opts := ""
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 4 && f[1] == "/" {
			opts = f[3]
		}
	}
	return opts
}

// hostPackages returns this machine's dpkg package lines, and the digest `sort | sha256sum`
// computes over them; it skips the test without dpkg-query.
func hostPackages(t *testing.T) ([]string, string) {
	t.Helper()
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("no dpkg-query on this machine")
	}
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Package} ${Version} ${Architecture}\n").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	sum, err := exec.Command("sh", "-c", `dpkg-query -W -f '${Package} ${Version} ${Architecture}\n' | LC_ALL=C sort | sha256sum`).Output()
	if err != nil {
		t.Fatal(err)
	}
	return lines, "sha256:" + strings.Fields(string(sum))[0]
}

// TestFactsScriptHost runs the script with this machine's sh, systemctl and dpkg.
func TestFactsScriptHost(t *testing.T) {
	lines, shaSum := hostPackages(t)
	f := hostFacts(t, []string{"cron", "kiln-no-such-unit"}, os.Getenv("PATH"))
	if want := rootOptions(t); f.RootOptions != want || f.RootReadOnly != strings.Contains(","+want+",", ",ro,") {
		t.Errorf("root %q read-only %v, want %q from /proc/mounts", f.RootOptions, f.RootReadOnly, want)
	}
	if st := f.Services["kiln-no-such-unit"]; st != (ServiceState{"not-found", "inactive"}) {
		t.Errorf("a unit that does not exist reads as %+v", st)
	}
	if _, ok := f.Services["cron"]; !ok || len(f.Services) != 2 {
		t.Errorf("services %+v, want cron and kiln-no-such-unit", f.Services)
	}
	if f.PackageManager != "dpkg" || f.PackagesDigest != PackagesDigest(lines) || f.PackagesDigest != shaSum {
		t.Errorf("package manager %s digest %s; want dpkg, PackagesDigest %s, sort|sha256sum %s",
			f.PackageManager, f.PackagesDigest, PackagesDigest(lines), shaSum)
	}
	// This machine's root is read-write: the check says so, and passes without that assertion.
	m := Immutable{ReadOnlyRoot: true, ServicesOff: []string{"kiln-no-such-unit"}, PackagesUnchanged: true, BakedPackages: shaSum}
	if p := m.Problems(f); !f.RootReadOnly && (len(p) != 1 || p[0] != "root file system is mounted read-write ("+f.RootOptions+")") {
		t.Errorf("Problems = %q", p)
	}
	m.ReadOnlyRoot = false
	if p := m.Problems(f); len(p) != 0 {
		t.Errorf("Problems = %q, want none", p)
	}
}

// TestFactsScriptSystemctl runs the script with a systemctl that answers like systemd's:
// its words on stdout, non-zero exit codes, several lines.
func TestFactsScriptSystemctl(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	bin := t.TempDir()
	fake := `#!/bin/sh
case "$1 $2" in
"is-enabled cron") echo enabled ;;
"is-active cron") echo active ;;
"is-enabled puppet") echo masked; exit 1 ;;
"is-active puppet") echo inactive; exit 3 ;;
"is-enabled getty@tty1.service") printf 'enabled-runtime\nextra line\n' ;;
"is-active getty@tty1.service") echo reloading ;;
*) echo "Failed to get unit file state for $2.service: No such file or directory" >&2; exit 1 ;;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "systemctl"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	f := hostFacts(t, []string{"cron", "puppet", "getty@tty1.service", "salt-minion"}, bin+":"+os.Getenv("PATH"))
	want := map[string]ServiceState{
		"cron": {"enabled", "active"}, "puppet": {"masked", "inactive"},
		"getty@tty1.service": {"enabled-runtime", "reloading"}, "salt-minion": {"not-found", "inactive"},
	}
	if !reflect.DeepEqual(f.Services, want) {
		t.Errorf("services %+v, want %+v", f.Services, want)
	}
	m := Immutable{ServicesOff: []string{"cron", "puppet", "getty@tty1.service", "salt-minion"}}
	got := m.Problems(f)
	wantLines := []string{"service cron is enabled and active", "service getty@tty1.service is enabled and active (enabled-runtime, reloading)"}
	if !reflect.DeepEqual(got, wantLines) {
		t.Errorf("Problems = %q, want %q", got, wantLines)
	}
}

// TestImmutableSSH runs the facts script over SSH on the in-process server, which runs it
// with this machine's sh, and checks the same facts as a local run.
func TestImmutableSSH(t *testing.T) {
	_, shaSum := hostPackages(t)
	w := newSSHWorld(t)
	target := w.target
	m := Immutable{SSH: &target, ServicesOff: []string{"kiln-no-such-unit"}, PackagesUnchanged: true, BakedPackages: shaSum}
	r, _, _ := testRunner()
	got := r.Run(context.Background(), []Spec{{Name: "immutable", Kind: "immutable", Timeout: 5 * time.Second, Immutable: &m}})[0]
	want := "passed on attempt 1: 1 service off, packages as baked (dpkg " + shaSum[:19] + "...)"
	if !got.Passed || got.Message != want {
		t.Errorf("got passed=%v %q, want %q", got.Passed, got.Message, want)
	}
	if ran := w.srv.ran(); len(ran) != 1 || ran[0] != "sh -s" {
		t.Errorf("the server ran %q, want [sh -s] with the script on stdin", ran)
	}

	// Read-only root asked for, on this machine's read-write root; packages changed.
	if strings.Contains(","+rootOptions(t)+",", ",ro,") {
		t.Skip("this machine's root is read-only")
	}
	m.ReadOnlyRoot, m.BakedPackages = true, otherDigest
	got = r.Run(context.Background(), []Spec{{Name: "immutable", Kind: "immutable", Timeout: 5 * time.Second, Immutable: &m}})[0]
	want = "gave up after 3 attempts in 4s: root file system is mounted read-write (" + rootOptions(t) + "); packages changed since the bake: " +
		shaSum[:19] + "... now, " + otherDigest[:19] + "... at bake"
	if got.Passed || got.Message != want {
		t.Errorf("got passed=%v %q\nwant %q", got.Passed, got.Message, want)
	}
}

// TestImmutableSSHHostKey: a host key that is not the pinned one ends the check at once,
// before any script runs.
func TestImmutableSSHHostKey(t *testing.T) {
	w := newSSHWorld(t)
	target := w.target
	target.HostKey = authorizedKey(newKey(t))
	m := Immutable{SSH: &target, ReadOnlyRoot: true}
	r, _, _ := testRunner()
	got := r.Run(context.Background(), []Spec{{Name: "immutable", Kind: "immutable", Timeout: 5 * time.Second, Immutable: &m}})[0]
	if got.Passed || got.Attempts != 1 || !strings.Contains(got.Message, "not retried: host key mismatch for "+w.srv.addr) {
		t.Errorf("got %+v", got)
	}
	if ran := w.srv.ran(); len(ran) != 0 {
		t.Errorf("the server ran %q", ran)
	}
}

func FuzzParseFacts(f *testing.F) {
	f.Add([]byte("kiln-facts 1\nroot_options ro\nservice cron enabled active\npackage_manager dpkg\npackages_digest " + bakedDigest + "\nend\n"))
	f.Add([]byte("banner\r\nkiln-facts 1\r\nservice a b\r\nend"))
	f.Add([]byte("kiln-facts 1\nroot_options\nend\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		facts, err := ParseFacts(out)
		if err != nil {
			return
		}
		if facts.RootReadOnly != strings.Contains(","+facts.RootOptions+",", ",ro,") {
			t.Fatalf("root_read_only %v with options %q", facts.RootReadOnly, facts.RootOptions)
		}
		for name, st := range facts.Services {
			if name == "" || strings.ContainsAny(name+st.Enabled+st.Active, " \t\n") {
				t.Fatalf("service %q %+v", name, st)
			}
		}
	})
}
