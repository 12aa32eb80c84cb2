// Package terraform runs Terraform for one kiln environment through terraform-exec: init with
// backend settings from a file, workspace select-or-create, plan, apply, outputs, destroy.
// Variables (the image id, kiln.yaml's vars, secrets) travel in a 0600 -var-file, never on
// the command line, and Terraform's environment is built on purpose.
package terraform

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
	tfjson "github.com/hashicorp/terraform-json"

	"github.com/kiln-ci/kiln/internal/supervise"
	"github.com/kiln-ci/kiln/internal/syncio"
)

// Options configures a Terraform working directory for one environment.
type Options struct {
	Exec        string            // terraform binary
	Dir         string            // the configuration directory
	DataDir     string            // TF_DATA_DIR, one per environment so dev and prod never share .terraform
	Workspace   string            // selected, or created when missing
	Env         map[string]string // the child's whole environment (see BuildEnv)
	VarFiles    []string          // -var-file paths: kiln.yaml's, then kiln's own 0600 file (which wins)
	BackendFile string            // a 0600 -backend-config file, or ""
	LockTimeout string            // Terraform duration, "0s" by default
	StopTimeout time.Duration     // after SIGINT, how long Terraform gets before it is killed (0: no limit)
	Log         io.Writer         // Terraform's stdout and stderr, for people
	// Phase, when set, opens a log section for a command people read (init, plan, apply,
	// destroy) and returns what closes it.
	Phase func(op string) (end func(error))
}

// TF is a Terraform working directory ready to run commands.
type TF struct {
	o   Options
	tf  *tfexec.Terraform
	exe string // what runs as Terraform: kiln's supervisor, or Terraform itself
}

// New prepares Terraform for o; it runs nothing yet.
func New(o Options) (*TF, error) {
	// Terraform runs under kiln's supervisor, which stops it gracefully if kiln is killed.
	exe, supervisor := supervise.Command(o.Exec, o.StopTimeout, os.TempDir())
	tf, err := tfexec.NewTerraform(o.Dir, exe)
	if err != nil {
		return nil, fmt.Errorf("terraform in %s: %w", o.Dir, err)
	}
	env := map[string]string{}
	for k, v := range o.Env {
		env[k] = v
	}
	for k, v := range supervisor {
		env[k] = v
	}
	if o.DataDir != "" {
		env["TF_DATA_DIR"] = o.DataDir
	}
	if err := tf.SetEnv(tfexec.CleanEnv(env)); err != nil {
		return nil, fmt.Errorf("terraform environment: %w", err)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	// terraform-exec copies stdout and stderr from two goroutines, a line at a time.
	o.Log = syncio.New(o.Log)
	tf.SetStderr(o.Log)
	if o.LockTimeout == "" {
		o.LockTimeout = "0s"
	}
	return &TF{o: o, tf: tf, exe: exe}, nil
}

// show sends Terraform's stdout to the log for the commands people read (init, plan,
// apply, destroy); quiet discards it for those whose stdout kiln parses (JSON).
func (t *TF) show()  { t.tf.SetStdout(t.o.Log) }
func (t *TF) quiet() { t.tf.SetStdout(io.Discard) }

// Init runs terraform init (-input=false, -reconfigure, the backend file when set).
func (t *TF) Init(ctx context.Context, backend bool) error {
	t.show()
	opts := []tfexec.InitOption{tfexec.Reconfigure(true), tfexec.Backend(backend)}
	if backend && t.o.BackendFile != "" {
		opts = append(opts, tfexec.BackendConfig(t.o.BackendFile))
	}
	end := t.phase("init")
	err := t.call(ctx, "init", func(ctx context.Context) error { return t.tf.Init(ctx, opts...) })
	end(err)
	return err
}

// Workspace selects the workspace, creating it when create is true; it reports whether the
// workspace existed before.
func (t *TF) Workspace(ctx context.Context, create bool) (existed bool, err error) {
	ws := t.o.Workspace
	if ws == "" || ws == "default" {
		return true, nil
	}
	// Already selected in this data directory: a deploy (which may create it) needs no
	// list and no select; Terraform reports a selected workspace that is gone.
	if cur, err := os.ReadFile(filepath.Join(t.o.DataDir, "environment")); create && t.o.DataDir != "" && err == nil && strings.TrimSpace(string(cur)) == ws {
		return true, nil
	}
	t.quiet()
	var list []string
	err = t.call(ctx, "workspace list", func(ctx context.Context) (err error) {
		list, _, err = t.tf.WorkspaceList(ctx)
		return err
	})
	if err != nil {
		return false, err
	}
	for _, w := range list {
		if w == ws {
			return true, t.call(ctx, "workspace select "+ws, func(ctx context.Context) error { return t.tf.WorkspaceSelect(ctx, ws) })
		}
	}
	if !create {
		return false, nil
	}
	return false, t.call(ctx, "workspace new "+ws, func(ctx context.Context) error {
		return t.tf.WorkspaceNew(ctx, ws, tfexec.LockTimeout(t.o.LockTimeout))
	})
}

// Plan runs terraform plan -detailed-exitcode and reports whether it has changes.
func (t *TF) Plan(ctx context.Context, out string) (bool, error) {
	t.show()
	opts := []tfexec.PlanOption{tfexec.Lock(true), tfexec.LockTimeout(t.o.LockTimeout)}
	for _, f := range t.o.VarFiles {
		opts = append(opts, tfexec.VarFile(f))
	}
	if out != "" {
		opts = append(opts, tfexec.Out(out))
	}
	var changes bool
	end := t.phase("plan")
	err := t.call(ctx, "plan", func(ctx context.Context) (err error) {
		changes, err = t.tf.Plan(ctx, opts...)
		return err
	})
	end(err)
	return changes, err
}

// ApplyPlan applies a saved plan file (which already holds the variables).
func (t *TF) ApplyPlan(ctx context.Context, plan string) error {
	t.show()
	end := t.phase("apply")
	err := t.call(ctx, "apply", func(ctx context.Context) error {
		return t.tf.Apply(ctx, tfexec.DirOrPlan(plan), tfexec.Lock(true), tfexec.LockTimeout(t.o.LockTimeout))
	})
	end(err)
	return err
}

// Destroy runs terraform destroy -auto-approve.
func (t *TF) Destroy(ctx context.Context) error {
	t.show()
	opts := []tfexec.DestroyOption{tfexec.Lock(true), tfexec.LockTimeout(t.o.LockTimeout)}
	for _, f := range t.o.VarFiles {
		opts = append(opts, tfexec.VarFile(f))
	}
	end := t.phase("destroy")
	err := t.call(ctx, "destroy", func(ctx context.Context) error { return t.tf.Destroy(ctx, opts...) })
	end(err)
	return err
}

// phase opens the log section of command op, when the caller asked for sections.
func (t *TF) phase(op string) func(error) {
	if t.o.Phase == nil {
		return func(error) {}
	}
	return t.o.Phase(op)
}

// Output is one Terraform output; a sensitive output's value is never kept.
type Output struct {
	Value     json.RawMessage
	Sensitive bool
}

// Outputs reads the workspace's outputs.
func (t *TF) Outputs(ctx context.Context) (map[string]Output, error) {
	t.quiet()
	var metas map[string]tfexec.OutputMeta
	err := t.call(ctx, "output", func(ctx context.Context) (err error) {
		metas, err = t.tf.Output(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]Output, len(metas))
	for k, m := range metas {
		if m.Sensitive {
			out[k] = Output{Sensitive: true}
			continue
		}
		out[k] = Output{Value: m.Value}
	}
	return out, nil
}

// StateResources counts the resources in the workspace's state (0 for no state).
func (t *TF) StateResources(ctx context.Context) (int, error) {
	t.quiet()
	var st *tfjson.State
	err := t.call(ctx, "show", func(ctx context.Context) (err error) {
		st, err = t.tf.Show(ctx)
		return err
	})
	if err != nil {
		return 0, err
	}
	if st == nil || st.Values == nil || st.Values.RootModule == nil {
		return 0, nil
	}
	n := len(st.Values.RootModule.Resources)
	for _, m := range st.Values.RootModule.ChildModules {
		n += len(m.Resources)
	}
	return n, nil
}

// Version returns Terraform's version. terraform-exec asks Terraform for it once, before its
// first command, and would print the JSON answer into the log; asked here, quietly, it is
// asked no more.
func (t *TF) Version(ctx context.Context) (string, error) {
	t.quiet()
	var v string
	err := t.call(ctx, "version", func(ctx context.Context) error {
		tv, _, err := t.tf.Version(ctx, false)
		if err == nil && tv != nil {
			v = tv.String()
		}
		return err
	})
	return v, err
}
