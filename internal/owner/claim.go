package owner

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"
)

// A Claim says that a kiln run works on an environment's Terraform state (and so may hold
// its lock). A step writes one before its first Terraform command on the environment and
// removes it when done; one left by a run that no longer runs is what lets kiln-sweep prove
// that a state lock's holder is dead.
type Claim struct {
	Run         string    `json:"run"` // the run's ProcessID
	Host        string    `json:"host"`
	User        string    `json:"user"`
	Step        string    `json:"step"`
	Environment string    `json:"environment"`
	ConfigDir   string    `json:"config_dir"` // kiln.yaml's directory
	Workspace   string    `json:"workspace"`
	Started     time.Time `json:"started"`

	path string
}

// ClaimDir is where this user's claims live on this host.
func ClaimDir() string { return ClaimDirIn(os.TempDir()) }

// ClaimDirIn is where this user's claims live under a temporary directory base.
func ClaimDirIn(base string) string {
	return filepath.Join(base, fmt.Sprintf("kiln-claims-%d", os.Getuid()))
}

// Stake writes this run's claim on an environment and returns the function that removes it.
func Stake(environment, configDir, workspace string) (func(), error) {
	r := Current()
	c := Claim{Run: r.ID, Host: r.Host, User: UserName(), Step: r.Step, Environment: environment,
		ConfigDir: configDir, Workspace: workspace, Started: time.Now().UTC()}
	if err := os.MkdirAll(ClaimDir(), 0o700); err != nil {
		return nil, fmt.Errorf("claim on %s: %w", environment, err)
	}
	f, err := os.CreateTemp(ClaimDir(), "claim-"+r.ID+"-*.json")
	if err != nil {
		return nil, fmt.Errorf("claim on %s: %w", environment, err)
	}
	err = json.NewEncoder(f).Encode(c)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, fmt.Errorf("claim on %s: %w", environment, err)
	}
	return func() { os.Remove(f.Name()) }, nil
}

// Claims lists this user's claims on this host.
func Claims() ([]Claim, error) {
	entries, err := os.ReadDir(ClaimDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Claim
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "claim-") {
			continue
		}
		p := filepath.Join(ClaimDir(), e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var c Claim
		if json.Unmarshal(data, &c) != nil || c.Run == "" {
			continue
		}
		c.path = p
		out = append(out, c)
	}
	return out, nil
}

// Alive reports whether the claim's run still runs.
func (c Claim) Alive() bool { return Alive(c.Run) }

// Remove deletes a claim found by Claims.
func (c Claim) Remove() error {
	if c.path == "" {
		return nil
	}
	return os.Remove(c.path)
}

// UserName is who Terraform says holds a lock it took here: user@host, as its lock info's
// Who field.
func UserName() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}
