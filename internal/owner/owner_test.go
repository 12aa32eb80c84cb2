package owner

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestLabels(t *testing.T) {
	r := Run{ID: "4123.889911", Host: "Runner_7.example.com", Step: "deploy-dev", Pipeline: "gitlab-81234",
		Created: time.Unix(1700000000, 0), Expires: time.Unix(1700021600, 0)}
	l := r.Labels()
	want := map[string]string{"kiln-host": "runner_7-example-com", "kiln-run": "4123-889911", "kiln-step": "deploy-dev",
		"kiln-pipeline": "gitlab-81234", "kiln-created": "1700000000", "kiln-expires": "1700021600"}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("label %s = %q, want %q", k, l[k], v)
		}
	}
	long := Run{Host: strings.Repeat("h", 80)}.Labels()["kiln-host"]
	if len(long) > 63 {
		t.Errorf("a label value of %d characters", len(long))
	}
	var environ []string
	for k, v := range r.Env() {
		environ = append(environ, k+"="+v)
	}
	back, ok := FromEnviron(environ)
	if !ok || back.ID != r.ID || back.Step != r.Step || !back.Expires.Equal(r.Expires) || back.Host != r.Host {
		t.Errorf("FromEnviron(Env()) = %+v, %v", back, ok)
	}
	if v := r.LabelsValue(true); !strings.Contains(v, `"kiln-step":"deploy-dev"`) || !strings.Contains(v, `"kiln-expires":"1700021600"`) {
		t.Errorf("LabelsValue(true) = %s", v)
	}
	if v := r.LabelsValue(false); strings.Contains(v, "kiln-expires") {
		t.Errorf("LabelsValue(false) = %s", v)
	}
}

// TestAlive: a process id names one process: not another that reuses its pid, not a process
// that has exited.
func TestAlive(t *testing.T) {
	if !Alive(ProcessID(os.Getpid())) {
		t.Error("this process is not alive")
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if Alive(ProcessID(cmd.Process.Pid)) {
		t.Error("an exited process is alive")
	}
	self := ProcessID(os.Getpid())
	pid, _, _ := strings.Cut(self, ".")
	if Alive(pid+".1") || Alive("x.1") || Alive("") {
		t.Error("a process id with another start time is alive")
	}
}

func TestClaims(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	release, err := Stake("dev", "/work/app", "default")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := Claims()
	if err != nil || len(cs) != 1 || cs[0].Environment != "dev" || !cs[0].Alive() || cs[0].User == "" {
		t.Fatalf("Claims = %+v, %v", cs, err)
	}
	release()
	if cs, _ := Claims(); len(cs) != 0 {
		t.Fatalf("after release: %+v", cs)
	}
}
