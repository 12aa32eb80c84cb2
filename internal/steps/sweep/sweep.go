// Package sweep is kiln-sweep: it finds what kiln runs left behind or kept too long and,
// with --apply, removes it. On this machine: private directories of runs that no longer
// run (secret variable files), processes of such runs (build VMs, provisioners' commands)
// or of any run past its TTL, stale local registry imports, unfinished pulls into the OCI
// image cache, and state locks whose holder it can prove dead. For kiln.yaml: dev
// environments past their TTL (from the record), and, on AWS and GCP, instances labelled by
// kiln whose TTL ended or whose run died on this host.
package sweep

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/owner"
	"github.com/kiln-ci/kiln/internal/privdir"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/local"
	"github.com/kiln-ci/kiln/internal/registry/open"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// Step is kiln-sweep.
type Step struct{}

func (Step) Name() string   { return "sweep" }
func (Step) String() string { return "sweeping what kiln runs left behind" }
func (Step) Description() string {
	return "Finds what kiln runs left behind or kept past their TTL: temporary directories, processes\n" +
		"and build VMs of dead runs, stale imports and pulls, expired dev environments and cloud instances,\n" +
		"and state locks whose holder it can prove dead. One line per finding. A dry run unless --apply."
}

// Examples are --help's examples.
func (Step) Examples() []string {
	return []string{"kiln-sweep", "kiln-sweep --apply"}
}

// Details is the full description, for docs/cli.md.
func (Step) Details() string {
	return "Finds what kiln runs left behind or kept past their TTL (KILN_TTL) and, with --apply, removes\n" +
		"it: private temporary directories of runs that no longer run, processes of those runs (build VMs,\n" +
		"provisioners' commands) or of any run past its TTL, stale local registry imports, unfinished pulls\n" +
		"in the OCI image cache (KILN_OCI_CACHE) older than an hour whose run no longer runs, dev\n" +
		"environments of the record past their TTL (terraform destroy), AWS/GCP instances labelled by kiln\n" +
		"past their TTL or whose run died on this host, and a state lock whose holder it can prove dead (a\n" +
		"kiln run on this host, as this user, that no longer runs); any other held lock is reported with\n" +
		"its terraform force-unlock command and exit 3. One line per finding and why. A dry run unless --apply."
}
func (Step) Flags() []step.Flag {
	return []step.Flag{
		{Name: "apply", Env: "KILN_APPLY", Bool: true, Help: "remove what was found (default: list it only)"},
		{Name: "environment", Env: "KILN_ENVIRONMENT", Help: "also check this environment's state lock (default: those a dead run claimed)"},
	}
}
func (Step) EnvVars() []string { return []string{open.EnvSummary} }

// SweepsItself tells the step runner not to remove dead runs' private directories before
// the step starts: a dry run lists them, --apply removes them.
func (Step) SweepsItself() {}

// staleImport is how old an unfinished local registry import must be to count as stale:
// an import copies one image's files, never for an hour.
const staleImport = time.Hour

// finding is one thing to remove and why.
type finding struct {
	kind, what, why string
	remove          func(context.Context) error // nil: cannot be removed by kiln (the line says how)
}

type sweeper struct {
	r        *step.Run
	now      time.Time
	found    []finding
	heldLock bool // a lock kiln cannot prove abandoned
	errors   int  // what could not be checked
}

// Run lists the findings and, with --apply, removes them.
func (Step) Run(ctx context.Context, r *step.Run) error {
	s := &sweeper{r: r, now: r.Env.Now().UTC()}
	s.tempDirs()
	s.processes()
	if err := s.registry(ctx); err != nil {
		s.failed("registry", err)
	}
	s.pulls()
	s.environments(ctx)
	s.locks(ctx)
	apply := r.Opts.Bool("apply")
	var failed []error
	removed := 0
	for _, f := range s.found {
		switch {
		case f.remove == nil:
			fmt.Fprintf(r.Out, "%s %s: %s\n", f.kind, f.what, f.why)
		case !apply:
			fmt.Fprintf(r.Out, "%s %s: %s (dry run: --apply removes it)\n", f.kind, f.what, f.why)
		default:
			if err := f.remove(ctx); err != nil {
				fmt.Fprintf(r.Out, "%s %s: %s; not removed: %v\n", f.kind, f.what, f.why, err)
				failed = append(failed, err)
				continue
			}
			removed++
			fmt.Fprintf(r.Out, "%s %s: %s; removed\n", f.kind, f.what, f.why)
		}
	}
	switch {
	case len(s.found) == 0:
		fmt.Fprintln(r.Out, "nothing to sweep")
	case apply:
		fmt.Fprintf(r.Out, "%d found, %d removed\n", len(s.found), removed)
	default:
		fmt.Fprintf(r.Out, "%d found (dry run)\n", len(s.found))
	}
	if len(failed) > 0 {
		return exitcode.New(exitcode.Failed, "%d of %d could not be removed: %w", len(failed), len(s.found), errors.Join(failed...))
	}
	if s.errors > 0 {
		return exitcode.New(exitcode.Failed, "%d could not be checked (see above); the rest was swept", s.errors)
	}
	if s.heldLock {
		return exitcode.New(exitcode.Locked, "a state lock is held and kiln cannot prove its holder dead; release it with the command above once no run holds it")
	}
	return nil
}

func (s *sweeper) add(f finding) { s.found = append(s.found, f) }

// tempDirs: private directories of kiln processes that no longer run.
func (s *sweeper) tempDirs() {
	dirs, _ := privdir.Orphans("")
	for _, d := range dirs {
		pid, _ := privdir.Owner(d)
		s.add(finding{kind: "temp-dir", what: d, why: fmt.Sprintf("kiln process %d no longer runs; it may hold secret files", pid),
			remove: func(context.Context) error { return os.RemoveAll(d) }})
	}
}

// processes: those of runs that no longer run (unless their supervisor, still stopping its
// tool, does), killed; and the live runs past their TTL, interrupted through their supervisor
// as a cancel would (kiln-promote's and kiln-rollback's only reported: a promotion is never
// cut short by a sweep). Processes that left their run's process group (a daemonized VM) are
// meant to outlive it and are left alone.
func (s *sweeper) processes() {
	procs := owner.Processes()
	supervised := map[string]bool{} // runs with a live supervisor
	for _, p := range procs {
		if p.Supervisor {
			supervised[p.Run.ID] = true
		}
	}
	host, _ := os.Hostname()
	expired := map[string]bool{}
	for _, p := range procs {
		if p.Run.Host != host {
			continue // labels of another machine's run (a container's own name): not ours to judge
		}
		switch {
		case p.Detached() && !p.Supervisor:
			continue
		case !owner.Alive(p.Run.ID) && !supervised[p.Run.ID]:
			pid := p.PID
			s.add(finding{kind: "process", what: fmt.Sprintf("%d (%s)", pid, p.Command),
				why:    fmt.Sprintf("its kiln run (%s %s) no longer runs", stepName(p.Run), p.Run.ID),
				remove: func(context.Context) error { return kill(pid) }})
		case !p.Run.Expires.IsZero() && s.now.After(p.Run.Expires) && p.Supervisor && !expired[p.Run.ID]:
			expired[p.Run.ID] = true
			s.expiredRun(p.Run, procs)
		}
	}
}

// expiredRun reports a live run past its TTL and, unless it is a promotion, stops it as a
// cancel would: SIGINT to its supervisors, which stop their tools gracefully.
func (s *sweeper) expiredRun(run owner.Run, procs []owner.Process) {
	var sups []int
	for _, p := range procs {
		if p.Run.ID == run.ID && p.Supervisor {
			sups = append(sups, p.PID)
		}
	}
	why := fmt.Sprintf("past its TTL (expired %s)", run.Expires.Format(time.RFC3339))
	what := fmt.Sprintf("%s %s", stepName(run), run.ID)
	if run.Step == "promote" || run.Step == "rollback" {
		s.add(finding{kind: "run", what: what, why: why + "; a promotion is never interrupted by kiln-sweep: stop it by hand if it hangs"})
		return
	}
	s.add(finding{kind: "run", what: what, why: why + "; interrupted like a cancel (SIGINT to its tools)",
		remove: func(context.Context) error {
			for _, pid := range sups {
				if err := syscall.Kill(pid, syscall.SIGINT); err != nil && !errors.Is(err, syscall.ESRCH) {
					return err
				}
			}
			return nil
		}})
}

func stepName(r owner.Run) string {
	if r.Step == "" {
		return "kiln"
	}
	return "kiln-" + r.Step
}

// kill sends SIGKILL to pid; a process already gone is not an error.
func kill(pid int) error {
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// instanceSweeper is a cloud registry that lists and terminates the instances kiln labelled.
type instanceSweeper interface {
	OwnedInstances(ctx context.Context) ([]registry.OwnedInstance, error)
	TerminateInstances(ctx context.Context, insts []registry.OwnedInstance) error
}

// registry: stale imports of a local registry; kiln's instances on AWS and GCP.
func (s *sweeper) registry(ctx context.Context) error {
	reg, err := open.Registry(ctx, s.r.Config, open.Options{Getenv: s.r.Lookup, Dir: s.r.Env.Dir, Now: s.r.Env.Now})
	if err != nil {
		return err
	}
	switch reg := reg.(type) {
	case *local.Registry:
		s.imports(reg.Dir)
	case instanceSweeper:
		insts, err := reg.OwnedInstances(ctx)
		if err != nil {
			return err
		}
		s.instances(reg, insts)
	}
	return nil
}

func (s *sweeper) imports(dir string) {
	stale, _ := filepath.Glob(filepath.Join(dir, "images", ".import-*"))
	for _, p := range stale {
		st, err := os.Stat(p)
		if err != nil || s.now.Sub(st.ModTime()) < staleImport {
			continue
		}
		s.add(finding{kind: "import", what: p, why: fmt.Sprintf("an unfinished registry import from %s", st.ModTime().UTC().Format(time.RFC3339)),
			remove: func(context.Context) error { return os.RemoveAll(p) }})
	}
}

func (s *sweeper) instances(reg instanceSweeper, insts []registry.OwnedInstance) {
	host, _ := os.Hostname()
	for _, in := range insts {
		run := owner.Run{Step: in.Labels["kiln-step"], ID: in.Labels["kiln-run"]}
		var why string
		exp := unixLabel(in.Labels["kiln-expires"])
		switch {
		case !exp.IsZero() && s.now.After(exp):
			why = fmt.Sprintf("started by %s (run %s), past its TTL (expired %s)", stepName(run), run.ID, exp.Format(time.RFC3339))
		case in.Labels["kiln-step"] == "bake" && ranHere(in.Labels, host) && !owner.Alive(localRunID(in.Labels["kiln-run"])):
			// Only a build VM dies with its run; what a deploy started is meant to outlive it.
			why = fmt.Sprintf("started by %s on this host (run %s), which no longer runs", stepName(run), run.ID)
		default:
			continue
		}
		in := in
		what := in.ID + " (" + in.Zone + ")"
		if in.Name != "" && in.Name != in.ID {
			what = in.Name + " " + what
		}
		s.add(finding{kind: "instance", what: what, why: why,
			remove: func(ctx context.Context) error { return reg.TerminateInstances(ctx, []registry.OwnedInstance{in}) }})
	}
}

// ranHere reports whether instance labels name this machine as the one their run ran on:
// its host name and its boot (containers of other machines may share a host name).
func ranHere(labels map[string]string, host string) bool {
	here := owner.Run{Host: host}.Labels()
	return labels["kiln-host"] != "" && labels["kiln-host"] == here["kiln-host"] &&
		labels["kiln-boot"] != "" && labels["kiln-boot"] == here["kiln-boot"]
}

// localRunID is the run's ProcessID from its label ("<pid>-<ticks>").
func localRunID(label string) string { return strings.Replace(label, "-", ".", 1) }

func unixLabel(v string) time.Time {
	var n int64
	if _, err := fmt.Sscanf(v, "%d", &n); err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// environments: the record's dev deployments past their TTL whose state is still the one
// the record's deployment left (a newer run's redeploy is not this record's to destroy).
// Never the promote environment, nor any environment a promotion went to.
func (s *sweeper) environments(ctx context.Context) {
	rec, err := s.r.ReadRecord()
	if err != nil {
		return // no record here: no dev environment of this workspace to know of
	}
	for _, d := range rec.Deployments {
		if d.Expires.IsZero() || !s.now.After(d.Expires) || d.Environment == s.r.Config.Promote.Environment ||
			rec.Promotion != nil && d.Environment == rec.Promotion.Environment {
			continue
		}
		d := d
		ours, err := s.deployedBy(ctx, d)
		if err != nil {
			s.failed(d.Environment, err)
			continue
		}
		if !ours {
			continue // destroyed, or redeployed since
		}
		s.add(finding{kind: "environment", what: d.Environment, why: fmt.Sprintf("deployed %s with %s, past its TTL (expired %s)",
			d.At.Format(time.RFC3339), d.ImageID, d.Expires.Format(time.RFC3339)),
			remove: func(ctx context.Context) error { return s.destroy(ctx, d, rec.Image.ID) }})
	}
}

// failed reports what could not be checked; the sweep goes on with the rest and exits 1.
func (s *sweeper) failed(what string, err error) {
	s.errors++
	s.add(finding{kind: "error", what: what, why: "could not be checked: " + err.Error()})
}

// sameState reports whether st is the state deployment d left: its digest when the record
// has it, else its lineage and serial.
func sameState(st *terraform.State, d record.Deployment) bool {
	if st.Resources == 0 {
		return false
	}
	if d.StateDigest != "" {
		return st.Digest == d.StateDigest
	}
	return d.StateLineage != "" && st.Lineage == d.StateLineage && st.Serial == d.StateSerial
}

// deployedBy reports whether d's environment still holds the state d left.
func (s *sweeper) deployedBy(ctx context.Context, d record.Deployment) (bool, error) {
	raw, err := deployment.PullState(ctx, s.r, d.Environment)
	if err != nil || raw == nil {
		return false, err
	}
	st, err := terraform.ParseState(raw)
	if err != nil {
		return false, err
	}
	return sameState(st, d), nil
}

// destroy destroys d's environment if its state is still the one d left.
func (s *sweeper) destroy(ctx context.Context, d record.Deployment, image string) error {
	t, err := environment.Open(ctx, deployment.Terraform(s.r), d.Environment, environment.Image{ID: image, Blank: true})
	if err != nil {
		return err
	}
	defer t.Close()
	existed, err := t.Workspace(ctx, false)
	if err != nil || !existed {
		return err
	}
	st, err := t.State(ctx)
	if err != nil {
		return err
	}
	if !sameState(st, d) {
		return fmt.Errorf("%s was redeployed since; left alone", d.Environment)
	}
	return t.Destroy(ctx)
}

// locks: the state lock of each environment a run that no longer runs claimed (and of
// --environment). A lock is released only when its holder is provably that dead run, and
// never while any live run on this machine claims an environment of that name (another
// checkout of the same project shares its state).
func (s *sweeper) locks(ctx context.Context) {
	claims, err := owner.Claims()
	if err != nil {
		s.failed("claims", err)
		return
	}
	dead := map[string][]owner.Claim{}
	live := map[string]bool{}
	for _, c := range claims {
		switch {
		case c.Alive():
			live[c.Environment] = true
		case c.ConfigDir == s.r.Config.Dir:
			dead[c.Environment] = append(dead[c.Environment], c)
		}
	}
	envs := map[string]bool{}
	for e := range dead {
		envs[e] = true
	}
	if e := s.r.Opts.Get("environment"); e != "" {
		envs[e] = true
	}
	for _, name := range slices.Sorted(maps.Keys(envs)) {
		if live[name] {
			continue // a live run works on it: its lock is its own
		}
		if _, err := s.r.Config.Env(name); err != nil {
			for _, c := range dead[name] {
				c := c
				s.add(finding{kind: "claim", what: name + " by " + c.Run, why: "left by a kiln run that no longer runs, for an environment kiln.yaml no longer has",
					remove: func(context.Context) error { return c.Remove() }})
			}
			continue
		}
		if err := s.lock(ctx, name, dead[name]); err != nil {
			s.failed("environment "+name, err)
		}
	}
}

func (s *sweeper) lock(ctx context.Context, name string, claims []owner.Claim) error {
	t, err := environment.Open(ctx, deployment.Quiet(s.r), name, environment.Image{Blank: true})
	if err != nil {
		return err
	}
	defer t.Close()
	if _, err := t.Workspace(ctx, false); err != nil {
		return err
	}
	held, err := t.LockHolder(ctx)
	if err != nil {
		return err
	}
	if held == nil {
		for _, c := range claims {
			c := c
			s.add(finding{kind: "claim", what: name + " by " + c.Run, why: "left by a kiln run that no longer runs; the state lock is free",
				remove: func(context.Context) error { return c.Remove() }})
		}
		return nil
	}
	if c, ok := provenDead(held, claims, owner.UserName()); ok {
		id := held.ID
		s.add(finding{kind: "lock", what: name + " " + id, why: fmt.Sprintf("held by %s since %s: kiln-%s run %s on this host, which no longer runs", held.Who, held.Created, c.Step, c.Run),
			remove: func(ctx context.Context) error {
				if err := s.unlock(ctx, name, id); err != nil {
					return err
				}
				for _, c := range claims {
					_ = c.Remove()
				}
				return nil
			}})
		return nil
	}
	s.heldLock = true
	unlock := held.Unlock
	if unlock == "" {
		unlock = "terraform force-unlock " + held.ID
	}
	s.add(finding{kind: "lock", what: name + " " + held.ID, why: fmt.Sprintf("held by %s; kiln cannot prove its holder dead; if no run holds it, release it with: %s", held.Who, unlock)})
	return nil
}

func (s *sweeper) unlock(ctx context.Context, name, id string) error {
	t, err := environment.Open(ctx, deployment.Terraform(s.r), name, environment.Image{Blank: true})
	if err != nil {
		return err
	}
	defer t.Close()
	if _, err := t.Workspace(ctx, false); err != nil {
		return err
	}
	return t.ForceUnlock(ctx, id)
}

// provenDead returns the claim of a dead run that took the lock: Terraform says this user on
// this host holds it, and it was taken while a run that no longer runs worked on the state
// (no live run does: the caller checked).
func provenDead(held *terraform.LockError, claims []owner.Claim, user string) (owner.Claim, bool) {
	host, _ := os.Hostname()
	if held.Who == "" || held.Who != user+"@"+host {
		return owner.Claim{}, false
	}
	created, err := time.Parse(time.RFC3339Nano, held.Created)
	if err != nil {
		created, err = time.Parse("2006-01-02 15:04:05.999999999 -0700 MST", held.Created)
	}
	if err != nil {
		return owner.Claim{}, false
	}
	// Taken while that run was alive: after it started, before its last heartbeat (plus
	// one interval, and a second of clock granularity).
	boot := owner.BootID()
	for _, c := range claims {
		lastAlive := c.LastSeen.Add(owner.HeartbeatInterval + time.Second)
		if c.Host == host && c.Boot == boot && !c.Alive() && !created.Before(c.Started.Add(-time.Second)) && !created.After(lastAlive) {
			return c, true
		}
	}
	return owner.Claim{}, false
}
