package owner

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// Process is a process that carries a kiln run's labels in its environment: a tool kiln
// started, or something that tool started (a build VM, a provisioner's command).
type Process struct {
	PID     int
	Command string // its command name, from /proc/PID/comm
	Run     Run
	// Supervisor is set for kiln's supervisor (internal/supervise), which stops its tool
	// by itself once kiln is gone.
	Supervisor bool
}

// Processes lists the processes of this user that carry a kiln run's labels, this process
// and its ancestors excepted.
func Processes() []Process {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	skip := map[int]bool{}
	for pid := os.Getpid(); pid > 1 && !skip[pid]; pid = parent(pid) {
		skip[pid] = true
	}
	var out []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || skip[pid] {
			continue
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/environ") // only this user's are readable
		if err != nil || !bytes.Contains(data, []byte(EnvID+"=")) {
			continue
		}
		environ := strings.Split(string(data), "\x00")
		r, ok := FromEnviron(environ)
		if !ok || startTicks(pid) == 0 {
			continue
		}
		p := Process{PID: pid, Run: r}
		for _, kv := range environ {
			if strings.HasPrefix(kv, "KILN_SUPERVISE_TOOL=") {
				p.Supervisor = true
			}
		}
		comm, _ := os.ReadFile("/proc/" + e.Name() + "/comm")
		p.Command = strings.TrimSpace(string(comm))
		out = append(out, p)
	}
	return out
}

func parent(pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}
