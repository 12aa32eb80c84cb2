// Package owner labels what a kiln run starts (Packer's build VMs and their provisioners,
// Terraform and what its provisioners start, a dev environment's resources) with who started
// it and until when it may live, so that kiln-sweep can tell an orphan from a live run's
// work. Every tool kiln starts gets the labels in its environment (KILN_RUN_*, inherited by
// whatever the tool starts in turn); Packer, and Terraform for environments other than the
// promote environment, get them as a map variable `kiln_labels` (PKR_VAR_kiln_labels,
// TF_VAR_kiln_labels; ignored unless declared) to put on instances as tags or labels.
package owner

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The variables a tool's environment carries.
const (
	EnvID       = "KILN_RUN_ID"       // <pid>.<start ticks> of the kiln process: unique on its host
	EnvHost     = "KILN_RUN_HOST"     // the host kiln ran on
	EnvStep     = "KILN_RUN_STEP"     // bake, deploy-dev, ...
	EnvPipeline = "KILN_RUN_PIPELINE" // the CI's pipeline or run id, when in CI
	EnvCreated  = "KILN_RUN_CREATED"  // Unix seconds
	EnvExpires  = "KILN_RUN_EXPIRES"  // Unix seconds: created + KILN_TTL
	// EnvGroup is the process group kiln's supervisor runs the tool in: a process still in
	// it belongs to the run; one that left it (setsid) is meant to outlive the run.
	EnvGroup = "KILN_RUN_GROUP"
	// LabelsVar is the Packer and Terraform variable that receives Labels as a map.
	LabelsVar = "kiln_labels"
)

// DefaultTTL is how long what a run starts may live when KILN_TTL does not say.
const DefaultTTL = 6 * time.Hour

// Run identifies one kiln process.
type Run struct {
	ID       string
	Host     string
	Step     string
	Pipeline string
	Created  time.Time
	Expires  time.Time
	Group    int // the supervisor's process group, as a process's environment says
}

var (
	mu      sync.Mutex
	current Run
)

// Start sets this process's run: step, the CI's pipeline id ("" outside CI), and the TTL.
func Start(step, pipeline string, ttl time.Duration) Run {
	host, _ := os.Hostname()
	now := time.Now().UTC().Truncate(time.Second)
	r := Run{ID: ProcessID(os.Getpid()), Host: host, Step: step, Pipeline: pipeline, Created: now, Expires: now.Add(ttl)}
	mu.Lock()
	current = r
	mu.Unlock()
	return r
}

// Current is this process's run; before Start, one with no step and the default TTL.
func Current() Run {
	mu.Lock()
	defer mu.Unlock()
	if current.ID == "" {
		host, _ := os.Hostname()
		now := time.Now().UTC().Truncate(time.Second)
		current = Run{ID: ProcessID(os.Getpid()), Host: host, Created: now, Expires: now.Add(DefaultTTL)}
	}
	return current
}

// Labels are the run's labels, in a form every cloud accepts as tag or label values
// (lower case letters, digits, '-' and '_'; at most 63 characters).
func (r Run) Labels() map[string]string {
	l := map[string]string{
		"kiln-host":    labelValue(r.Host),
		"kiln-boot":    labelValue(BootID()),
		"kiln-run":     labelValue(r.ID),
		"kiln-step":    labelValue(r.Step),
		"kiln-created": strconv.FormatInt(r.Created.Unix(), 10),
		"kiln-expires": strconv.FormatInt(r.Expires.Unix(), 10),
	}
	if r.Pipeline != "" {
		l["kiln-pipeline"] = labelValue(r.Pipeline)
	}
	return l
}

// Env is what every tool's environment gets, inherited by whatever the tool starts.
func (r Run) Env() map[string]string {
	return map[string]string{
		EnvID: r.ID, EnvHost: r.Host, EnvStep: r.Step, EnvPipeline: r.Pipeline,
		EnvCreated: strconv.FormatInt(r.Created.Unix(), 10),
		EnvExpires: strconv.FormatInt(r.Expires.Unix(), 10),
	}
}

// LabelsValue is Labels as the value of a map variable (PKR_VAR_kiln_labels,
// TF_VAR_kiln_labels): a JSON object, which HCL reads as an object too. Without expiry
// there is no kiln-expires: what the promote environment runs has no TTL.
func (r Run) LabelsValue(expiry bool) string {
	l := r.Labels()
	if !expiry {
		delete(l, "kiln-expires")
	}
	data, _ := json.Marshal(l)
	return string(data)
}

// FromEnviron reads a run from a process's environment (KEY=value entries).
func FromEnviron(environ []string) (Run, bool) {
	var r Run
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case EnvID:
			r.ID = v
		case EnvHost:
			r.Host = v
		case EnvStep:
			r.Step = v
		case EnvPipeline:
			r.Pipeline = v
		case EnvCreated:
			r.Created = unix(v)
		case EnvExpires:
			r.Expires = unix(v)
		case EnvGroup:
			r.Group, _ = strconv.Atoi(v)
		}
	}
	return r, r.ID != ""
}

// ProcessID names process pid for as long as it runs: its pid and its start time, so that
// a pid reused by another process never passes for the same run.
func ProcessID(pid int) string {
	return fmt.Sprintf("%d.%d", pid, startTicks(pid))
}

// Alive reports whether the process a ProcessID names still runs on this host.
func Alive(id string) bool {
	p, _, ok := strings.Cut(id, ".")
	pid, err := strconv.Atoi(p)
	if !ok || err != nil || pid <= 0 {
		return false
	}
	return ProcessID(pid) == id && startTicks(pid) != 0
}

// startTicks is field 22 of /proc/PID/stat: when the process started, in clock ticks since
// boot; 0 when it does not run.
func startTicks(pid int) uint64 {
	n, _ := strconv.ParseUint(statField(pid, 19), 10, 64)
	return n
}

func labelValue(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	out := b.String()
	if len(out) > 63 {
		out = out[:63]
	}
	return out
}

func unix(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}
