package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"time"
)

// facts is the /facts answer: what an immutable server must show and kiln-test's
// `immutable:` check asserts (root mounted read-only, services off, packages as baked).
type facts struct {
	RootReadOnly   bool                    `json:"root_read_only"`
	RootOptions    string                  `json:"root_options"`
	Services       map[string]serviceState `json:"services"`
	PackagesDigest string                  `json:"packages_digest"`
	PackageManager string                  `json:"package_manager"`
}

// serviceState is systemctl's word for a unit: is-enabled and is-active.
type serviceState struct {
	Enabled string `json:"enabled"`
	Active  string `json:"active"`
}

// serviceName is what /facts accepts in ?services=: unit names, never options or paths.
var serviceName = regexp.MustCompile(`^[A-Za-z0-9@._-]{1,128}$`)

// system is where /facts reads the machine: /proc/mounts and commands (tests replace both).
type system struct {
	mounts string                                                                 // path of /proc/mounts
	run    func(ctx context.Context, name string, args ...string) ([]byte, error) // a command's stdout
}

var thisMachine = system{mounts: "/proc/mounts", run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
	return exec.CommandContext(ctx, name, args...).Output()
}}

// factsHandler serves GET /facts?services=a,b.
func factsHandler(sys system) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var names []string
		if s := r.URL.Query().Get("services"); s != "" {
			names = strings.Split(s, ",")
		}
		for _, n := range names {
			if !serviceName.MatchString(n) {
				http.Error(w, "bad service name", http.StatusBadRequest)
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
		defer cancel()
		f := sys.read(ctx, names)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(f)
	}
}

func (sys system) read(ctx context.Context, services []string) facts {
	f := facts{Services: map[string]serviceState{}}
	f.RootOptions = rootOptions(sys.mounts)
	for _, o := range strings.Split(f.RootOptions, ",") {
		if o == "ro" {
			f.RootReadOnly = true
		}
	}
	for _, n := range services {
		// is-enabled and is-active print their word and exit non-zero for most of them.
		en, _ := sys.run(ctx, "systemctl", "is-enabled", n)
		ac, _ := sys.run(ctx, "systemctl", "is-active", n)
		st := serviceState{Enabled: firstWord(en), Active: firstWord(ac)}
		if st.Enabled == "" {
			st.Enabled = "not-found"
		}
		if st.Active == "" {
			st.Active = "inactive"
		}
		f.Services[n] = st
	}
	if out, err := sys.run(ctx, "dpkg-query", "-W", "-f", "${Package} ${Version} ${Architecture}\n"); err == nil {
		f.PackageManager, f.PackagesDigest = "dpkg", packagesDigest(out)
	} else if out, err := sys.run(ctx, "rpm", "-qa", "--qf", "%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n"); err == nil {
		f.PackageManager, f.PackagesDigest = "rpm", packagesDigest(out)
	} else {
		f.PackageManager = "none"
	}
	return f
}

// rootOptions returns the mount options of the last mount on / in mounts ("" when unreadable).
func rootOptions(mounts string) string {
	b, err := os.ReadFile(mounts)
	if err != nil {
		return ""
	}
	opts := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 4 && f[1] == "/" {
			opts = f[3]
		}
	}
	return opts
}

// packagesDigest is kiln's package-list digest: sha256 of the lines "name version arch\n"
// sorted bytewise, as `LC_ALL=C sort | sha256sum` computes it at bake time.
func packagesDigest(list []byte) string {
	var lines []string
	for _, l := range strings.Split(string(list), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l + "\n"))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func firstWord(b []byte) string {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}
