package sweep

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/owner"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// TestProvenDead: a lock is released only when Terraform names this user on this host as
// its holder and it was taken while a claim's run, now gone, worked on the state.
func TestProvenDead(t *testing.T) {
	host, _ := os.Hostname()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	started := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	boot := owner.BootID()
	seen := started.Add(2 * time.Minute)
	dead := owner.Claim{Run: owner.ProcessID(gone.Process.Pid), Host: host, Step: "deploy-dev", Started: started, Boot: boot, LastSeen: seen}
	alive := owner.Claim{Run: owner.ProcessID(os.Getpid()), Host: host, Started: started, Boot: boot, LastSeen: seen}
	otherBoot := dead
	otherBoot.Boot = "another-machine"
	at := started.Add(time.Minute).Format(time.RFC3339Nano)
	for _, tc := range []struct {
		name   string
		held   terraform.LockError
		claims []owner.Claim
		want   bool
	}{
		{"this user, this host, during the dead run", terraform.LockError{ID: "1", Who: "ci@" + host, Created: at}, []owner.Claim{dead}, true},
		{"another user", terraform.LockError{ID: "1", Who: "other@" + host, Created: at}, []owner.Claim{dead}, false},
		{"another host", terraform.LockError{ID: "1", Who: "ci@elsewhere", Created: at}, []owner.Claim{dead}, false},
		{"who unknown (http backend)", terraform.LockError{ID: "1", Who: "", Created: at}, []owner.Claim{dead}, false},
		{"taken before the run", terraform.LockError{ID: "1", Who: "ci@" + host, Created: started.Add(-time.Hour).Format(time.RFC3339Nano)}, []owner.Claim{dead}, false},
		{"the run still runs", terraform.LockError{ID: "1", Who: "ci@" + host, Created: at}, []owner.Claim{alive}, false},
		{"no claim", terraform.LockError{ID: "1", Who: "ci@" + host, Created: at}, nil, false},
		{"taken after the run's last heartbeat", terraform.LockError{ID: "1", Who: "ci@" + host, Created: started.Add(time.Hour).Format(time.RFC3339Nano)}, []owner.Claim{dead}, false},
		{"a claim of another machine", terraform.LockError{ID: "1", Who: "ci@" + host, Created: at}, []owner.Claim{otherBoot}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, got := provenDead(&tc.held, tc.claims, "ci"); got != tc.want {
				t.Errorf("provenDead = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRanHere(t *testing.T) {
	labels := owner.Run{Host: "runner-7", ID: "4123.889911"}.Labels()
	if !ranHere(labels, "runner-7") || ranHere(labels, "runner") || ranHere(labels, "runner-70") || ranHere(map[string]string{}, "") {
		t.Errorf("ranHere(%v)", labels)
	}
	if got := localRunID(labels["kiln-run"]); got != "4123.889911" {
		t.Errorf("localRunID = %q", got)
	}
}
