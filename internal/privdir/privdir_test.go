package privdir

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestSweep: the directories of a process that has exited go; this process's own stay, and
// so does anything that is not a kiln private directory.
func TestSweep(t *testing.T) {
	base := t.TempDir()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	for _, d := range []string{
		"kiln-tf-" + strconv.Itoa(dead) + "-123", "kiln-vault-" + strconv.Itoa(dead) + "-9",
		"kiln-tf-notapid-1", "other-dir", "kiln-tf",
	} {
		if err := os.MkdirAll(filepath.Join(base, d, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	mine, err := New(base, "tf")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "kiln-pk-"+strconv.Itoa(dead)+"-5"), nil, 0o600); err != nil {
		t.Fatal(err) // a file, not a directory: left alone
	}
	n, err := Sweep(base)
	if err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v; want 2", n, err)
	}
	entries, _ := os.ReadDir(base)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := map[string]bool{filepath.Base(mine): true, "kiln-tf-notapid-1": true, "other-dir": true, "kiln-tf": true,
		"kiln-pk-" + strconv.Itoa(dead) + "-5": true}
	if len(left) != len(want) {
		t.Fatalf("left %v", left)
	}
	for _, l := range left {
		if !want[l] {
			t.Fatalf("left %v", left)
		}
	}
	if st, err := os.Stat(mine); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("New made %v, %v", st, err)
	}
}
