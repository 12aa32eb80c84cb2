// Package environment prepares Terraform for one environment of kiln.yaml: the binary, the
// workspace, a per-environment data directory, and a private directory holding the 0600
// variable and backend files (the image id, kiln.yaml's vars, secrets), removed afterwards.
package environment

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kiln-ci/kiln/internal/childenv"
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/owner"
	"github.com/kiln-ci/kiln/internal/privdir"
	"github.com/kiln-ci/kiln/internal/terraform"
	"github.com/kiln-ci/kiln/internal/tools"
)

// Options are what Terraform for an environment takes from the step: nothing else.
type Options struct {
	Config    *config.Config
	Terraform string              // an explicit terraform binary (--terraform), or ""
	Getenv    func(string) string // the process environment (tools lookup, GitLab's CI_* variables)
	Dir       string              // the working directory
	// Inherited is the environment Terraform inherits: the process's, less the Vault
	// credentials kiln used itself.
	Inherited   []string
	Secrets     map[string]string // the step's secrets for child tools (environment variables)
	TFVars      map[string]string // Terraform variables from Vault (to the 0600 -var-file)
	StopTimeout time.Duration     // after SIGINT, how long Terraform gets to stop
	Log         io.Writer         // Terraform's output, for people
	// Mask registers a value kiln hands Terraform (the GitLab job token) for redaction.
	Mask func(string)
	// Phase, when set, opens a log section titled title and returns what closes it.
	Phase func(title string) (end func(error))
}

// Target is Terraform ready to run for one environment.
type Target struct {
	Name string
	Env  config.Environment
	*terraform.TF
	private string
	unclaim func()
}

// Image is what Terraform gets of the image: ID as the image variable and KILN_IMAGE_ID,
// Path (a local-registry image's disk) as KILN_IMAGE_PATH. The zero Image leaves both unset.
type Image struct {
	ID   string
	Path string
	// Blank sets the image variable to "" when ID is empty: Terraform wants every required
	// variable, even to destroy, and a destroy without a record knows no image.
	Blank bool
	// Promote says the environment is being promoted to (kiln-promote, kiln-rollback): what
	// runs there has no TTL, whatever its name.
	Promote bool
}

// Open prepares Terraform for environment name with img and runs terraform init. Close
// removes the private files.
func Open(ctx context.Context, o Options, name string, img Image) (*Target, error) {
	return open(ctx, o, name, img, false)
}

// OpenOffline prepares Terraform for environment name without its backend, in a throwaway
// data directory, for fmt and validate.
func OpenOffline(ctx context.Context, o Options, name string) (*Target, error) {
	return open(ctx, o, name, Image{}, true)
}

// PrepareOffline is OpenOffline without terraform init, for checks that need none (fmt) and
// an init of the caller's choosing (InitPlugins).
func PrepareOffline(ctx context.Context, o Options, name string) (*Target, error) {
	return prepare(ctx, o, name, Image{}, true)
}

func open(ctx context.Context, o Options, name string, img Image, offline bool) (*Target, error) {
	t, err := prepare(ctx, o, name, img, offline)
	if err != nil {
		return nil, err
	}
	if offline {
		err = t.Init(ctx, false)
	} else if t.unclaim, err = owner.Stake(name, o.Config.Dir, t.Env.Workspace); err == nil {
		// The claim lets kiln-sweep prove a lock's holder dead if this run is killed.
		_, err = t.InitOnce(ctx)
	}
	if err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func prepare(ctx context.Context, o Options, name string, img Image, offline bool) (*Target, error) {
	env, err := o.Config.Env(name)
	if err != nil {
		return nil, err
	}
	if err := o.Config.Exists("environments."+name+".terraform", env.Terraform); err != nil {
		return nil, err
	}
	exe, err := tools.Finder{Getenv: o.Getenv, Dir: o.Dir, ConfigDir: o.Config.Dir}.Terraform(ctx, o.Terraform)
	if err != nil {
		return nil, err
	}
	private, err := privdir.New("", "tf")
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", name, err)
	}
	t := &Target{Name: name, Env: env, private: private}
	if err := t.prepare(o, exe, img, offline); err != nil {
		t.Close()
		return nil, err
	}
	v, err := t.Version(ctx)
	if err != nil {
		t.Close()
		return nil, err
	}
	tools.Announce(o.Log, "terraform", exe, v)
	return t, nil
}

func (t *Target) prepare(o Options, exe string, img Image, offline bool) error {
	// Owner labels, for a configuration that declares kiln_labels: with the run's TTL, except
	// in the promote environment, whose instances kiln-sweep must never take for expired.
	add := map[string]string{"KILN_ENVIRONMENT": t.Name,
		"TF_VAR_" + owner.LabelsVar: owner.Current().LabelsValue(!img.Promote && t.Name != o.Config.Promote.Environment)}
	if img.ID != "" {
		add["KILN_IMAGE_ID"] = img.ID
	}
	if img.Path != "" {
		add["KILN_IMAGE_PATH"] = img.Path
	}
	if t.Env.GitLabState != "" {
		state, err := gitLabState(o, t.Env.GitLabState)
		if err != nil {
			return err
		}
		for k, v := range state {
			add[k] = v
		}
	}
	env, err := childenv.Build(o.Inherited, add, o.Secrets)
	if err != nil {
		return err
	}
	childEnv, vars := terraform.BuildEnv(childenv.List(env), nil)
	for k, v := range t.Env.Vars {
		vars[k] = v
	}
	for k, v := range o.TFVars {
		vars[k] = v
	}
	if img.ID != "" || img.Blank {
		vars[t.Env.ImageVar] = img.ID
	}
	varFile, err := terraform.WriteVarFile(t.private, "kiln", vars)
	if err != nil {
		return err
	}
	backend, err := terraform.WriteBackendFile(t.private, t.Env.BackendConfig)
	if err != nil {
		return err
	}
	dataDir := filepath.Join(o.Config.Dir, ".kiln", "terraform", t.Name)
	if offline {
		dataDir = filepath.Join(t.private, "data")
	}
	tfo := terraform.Options{
		Exec:        exe,
		Dir:         o.Config.Path(t.Env.Terraform),
		DataDir:     dataDir,
		Workspace:   t.Env.Workspace,
		Env:         childEnv,
		VarFiles:    append(t.varFiles(o.Config), varFile),
		BackendFile: backend,
		LockTimeout: t.Env.LockTimeout,
		StopTimeout: o.StopTimeout,
		Log:         o.Log,
	}
	if o.Phase != nil {
		tfo.Phase = func(op string) func(error) { return o.Phase("terraform " + op + " (" + t.Name + ")") }
	}
	tf, err := terraform.New(tfo)
	if err != nil {
		return err
	}
	t.TF = tf
	return nil
}

func (t *Target) varFiles(cfg *config.Config) []string {
	var out []string
	for _, f := range t.Env.VarFiles {
		out = append(out, cfg.Path(f))
	}
	return out
}

// PlanFile is where a saved plan goes: the private directory, since a plan holds the
// variables' values.
func (t *Target) PlanFile() string { return filepath.Join(t.private, "kiln.tfplan") }

// Close removes the private variable and backend files.
func (t *Target) Close() {
	if t.private != "" {
		os.RemoveAll(t.private)
	}
	if t.unclaim != nil {
		t.unclaim()
	}
}

// gitLabState points Terraform's http backend at a GitLab-managed state through the TF_HTTP_*
// variables GitLab documents, with the job token as password
// (https://docs.gitlab.com/user/infrastructure/iac/terraform_state/).
func gitLabState(o Options, name string) (map[string]string, error) {
	api, project, token := o.Getenv("CI_API_V4_URL"), o.Getenv("CI_PROJECT_ID"), o.Getenv("CI_JOB_TOKEN")
	if api == "" || project == "" || token == "" {
		return nil, exitcode.New(exitcode.Usage, "gitlab_state %q needs CI_API_V4_URL, CI_PROJECT_ID and CI_JOB_TOKEN (a GitLab CI job)", name)
	}
	if o.Mask != nil {
		o.Mask(token)
	}
	addr := strings.TrimRight(api, "/") + "/projects/" + url.PathEscape(project) + "/terraform/state/" + url.PathEscape(name)
	return map[string]string{
		"TF_HTTP_ADDRESS":        addr,
		"TF_HTTP_LOCK_ADDRESS":   addr + "/lock",
		"TF_HTTP_UNLOCK_ADDRESS": addr + "/lock",
		"TF_HTTP_LOCK_METHOD":    "POST",
		"TF_HTTP_UNLOCK_METHOD":  "DELETE",
		"TF_HTTP_RETRY_WAIT_MIN": "5",
		"TF_HTTP_USERNAME":       "gitlab-ci-token",
		"TF_HTTP_PASSWORD":       token,
	}, nil
}
