package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestFacts(t *testing.T) {
	mounts := filepath.Join(t.TempDir(), "mounts")
	os.WriteFile(mounts, []byte("sysfs /sys sysfs rw 0 0\n/dev/root / ext4 rw,relatime 0 0\n/dev/vda / ext4 ro,relatime 0 0\ntmpfs /tmp tmpfs rw 0 0\n"), 0o644)
	var ran []string
	sys := system{mounts: mounts, run: func(_ context.Context, name string, args ...string) ([]byte, error) {
		ran = append(ran, name+" "+strings.Join(args, " "))
		switch {
		case name == "systemctl" && args[1] == "ssh":
			return []byte(map[string]string{"is-enabled": "masked\n", "is-active": "inactive\n"}[args[0]]), errors.New("exit 1")
		case name == "systemctl" && args[1] == "cron":
			return nil, errors.New("exit 4") // no such unit: systemctl prints nothing on stdout
		case name == "dpkg-query":
			return []byte("zlib1g 1:1.2.13 amd64\nbash 5.2.15-2 amd64\n"), nil
		}
		return nil, errors.New("not found")
	}}
	rec := httptest.NewRecorder()
	newHandlerOn(sys, "img", "1").ServeHTTP(rec, httptest.NewRequest("GET", "/facts?services=ssh,cron", nil))
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var f facts
	if err := json.Unmarshal(rec.Body.Bytes(), &f); err != nil {
		t.Fatal(err)
	}
	if !f.RootReadOnly || f.RootOptions != "ro,relatime" {
		t.Errorf("root %v %q, want read-only ro,relatime (the last mount on / wins)", f.RootReadOnly, f.RootOptions)
	}
	if got := f.Services["ssh"]; got != (serviceState{"masked", "inactive"}) {
		t.Errorf("ssh %+v", got)
	}
	if got := f.Services["cron"]; got != (serviceState{"not-found", "inactive"}) {
		t.Errorf("cron %+v", got)
	}
	if f.PackageManager != "dpkg" || f.PackagesDigest != packagesDigest([]byte("bash 5.2.15-2 amd64\nzlib1g 1:1.2.13 amd64\n")) {
		t.Errorf("packages %s %s", f.PackageManager, f.PackagesDigest)
	}

	rec = httptest.NewRecorder()
	newHandlerOn(sys, "img", "1").ServeHTTP(rec, httptest.NewRequest("GET", "/facts?services=--root=/etc", nil))
	if rec.Code != 400 {
		t.Errorf("an option as a service name: status %d, want 400", rec.Code)
	}
}

// The digest the service reports must be the one the image's build printed with
// `dpkg-query ... | LC_ALL=C sort | sha256sum`.
func TestPackagesDigestMatchesShell(t *testing.T) {
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("no dpkg-query here")
	}
	out, err := exec.Command("sh", "-c", `dpkg-query -W -f '${Package} ${Version} ${Architecture}\n' | LC_ALL=C sort | sha256sum | cut -d' ' -f1`).Output()
	if err != nil {
		t.Fatal(err)
	}
	list, err := exec.Command("dpkg-query", "-W", "-f", "${Package} ${Version} ${Architecture}\n").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := packagesDigest(list), "sha256:"+strings.TrimSpace(string(out)); got != want {
		t.Errorf("packagesDigest = %s, the shell says %s", got, want)
	}
}
