package owner

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Process is a process that carries a kiln run's labels in its environment: a tool kiln
// started, or something that tool started (a build VM, a provisioner's command).
type Process struct {
	PID     int
	Group   int    // its process group
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
	for pid := os.Getpid(); pid > 1 && !skip[pid]; pid = Parent(pid) {
		skip[pid] = true
	}
	var out []Process
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || skip[pid] {
			continue
		}
		if st, err := os.Stat("/proc/" + e.Name()); err != nil || !ownedBy(st, os.Geteuid()) {
			continue // another user's: never ours to judge, even when root could read it
		}
		data, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(data, []byte(EnvID+"=")) {
			continue
		}
		environ := strings.Split(string(data), "\x00")
		r, ok := FromEnviron(environ)
		if !ok || startTicks(pid) == 0 {
			continue
		}
		p := Process{PID: pid, Run: r, Group: Group(pid)}
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

// Detached reports whether the process left the process group of its run's tool (a VM
// daemonized with setsid): it is meant to outlive the run.
func (p Process) Detached() bool { return p.Run.Group == 0 || p.Group != p.Run.Group }

// Group is process pid's process group, 0 when it does not run.
func Group(pid int) int { n, _ := strconv.Atoi(statField(pid, 2)); return n }

// Parent is process pid's parent, 0 when it does not run.
func Parent(pid int) int { n, _ := strconv.Atoi(statField(pid, 1)); return n }

// statField is field n (0: the state) after the command name of /proc/PID/stat, whose
// command name (in parentheses) may itself hold spaces and parentheses; "" when the process
// does not run or is a zombie.
func statField(pid, n int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) <= n || f[0] == "Z" {
		return ""
	}
	return f[n]
}

func ownedBy(st os.FileInfo, uid int) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(sys.Uid) == uid
}
