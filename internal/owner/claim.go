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
	"syscall"
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
	Boot        string    `json:"boot"` // the kernel's boot id: which machine, which boot

	// LastSeen is when the run last showed it was alive (the claim file's modification
	// time, touched every HeartbeatInterval while the run lives).
	LastSeen time.Time `json:"-"`
	path     string
}

// HeartbeatInterval is how often a live run touches its claims.
const HeartbeatInterval = 10 * time.Second

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
		ConfigDir: configDir, Workspace: workspace, Started: time.Now().UTC(), Boot: BootID()}
	if err := privateDir(ClaimDir()); err != nil {
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
	// The heartbeat bounds when the run was last alive, for kiln-sweep's proof.
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(HeartbeatInterval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				_ = os.Chtimes(f.Name(), now, now)
			}
		}
	}()
	return func() { close(stop); <-done; os.Remove(f.Name()) }, nil
}

// privateDir makes dir (0700) or checks that the one there is this user's, private, and not
// a symbolic link: in a shared temporary directory another user could have made it first,
// to read or plant claims.
func privateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !st.IsDir() || !ok || int(sys.Uid) != os.Getuid() || st.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s is not a private directory of this user (mode %v): remove it", dir, st.Mode())
	}
	return nil
}

// BootID identifies this machine's current boot (shared by its containers): a run on another
// machine whose host name is the same never passes for one of this machine's.
func BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Claims lists this user's claims on this host.
func Claims() ([]Claim, error) {
	if _, err := os.Lstat(ClaimDir()); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err := privateDir(ClaimDir()); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(ClaimDir())
	if err != nil {
		return nil, err
	}
	var out []Claim
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "claim-") {
			continue
		}
		p := filepath.Join(ClaimDir(), e.Name())
		st, err := os.Lstat(p)
		if err != nil || !st.Mode().IsRegular() {
			continue
		}
		if sys, ok := st.Sys().(*syscall.Stat_t); !ok || int(sys.Uid) != os.Getuid() {
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		var c Claim
		if json.Unmarshal(data, &c) != nil || c.Run == "" {
			continue
		}
		c.path = p
		c.LastSeen = st.ModTime().UTC()
		out = append(out, c)
	}
	return out, nil
}

// Alive reports whether the claim's run still runs.
func (c Claim) Alive() bool { return (c.Boot == "" || c.Boot == BootID()) && Alive(c.Run) }

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
