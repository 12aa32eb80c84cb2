// Package step is what every kiln binary shares: the Step interface and the runner that
// parses flags, loads kiln.yaml, detects the CI, fetches secrets, runs the step, and maps
// its error to one line and an exit code.
package step

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/kiln-ci/kiln/internal/ci"
	"github.com/kiln-ci/kiln/internal/config"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/owner"
	"github.com/kiln-ci/kiln/internal/privdir"
	"github.com/kiln-ci/kiln/internal/redact"
	"github.com/kiln-ci/kiln/internal/version"
)

// Step is one kiln step, run by Main.
type Step interface {
	// Name is the step's name as kiln.yaml's secret mappings use it: "bake", "deploy-dev".
	Name() string
	// String is a phrase for the log: "baking the image".
	String() string
	// Description is the paragraph --help starts with.
	Description() string
	// Flags are the step's own flags, besides the common ones.
	Flags() []Flag
	// EnvVars lists, for --help, the environment variables the step reads besides its flags'.
	EnvVars() []string
	// Run does the step's work.
	Run(ctx context.Context, r *Run) error
}

// Run is what a step works with: the process Env, resolved options, kiln.yaml, the CI.
type Run struct {
	Env    Env
	Opts   Options
	Config *config.Config
	CI     ci.Provider
	// Log receives kiln's and the child tools' human-readable output (redacted).
	Log io.Writer
	// Out receives the step's result for people (a summary line or table; redacted).
	Out io.Writer
	// ChildEnv holds what kiln adds to a child tool's environment: secrets from Vault and
	// kiln's own settings; it is never logged.
	ChildEnv map[string]string
	// TFVars holds Terraform variables from Vault; they go to a 0600 -var-file, never argv.
	TFVars map[string]string
	// StopTimeout is how long a child tool gets to stop after SIGINT.
	StopTimeout time.Duration
	// Owner labels what the run starts (see internal/owner); Owner.Expires is its TTL's end.
	Owner owner.Run
	// Vault is the client logged in for the step, when it uses Vault itself (transit); nil
	// otherwise. Its token is revoked when the step ends.
	Vault *api.Client

	binary string
	unset  []string // inherited variables kept from child tools (Vault credentials)
	red    *redact.Redactor
}

// Secret registers a value kiln hands to a child tool (a token, a password) so that it is
// redacted from every output and masked by the CI.
func (r *Run) Secret(value string) {
	if value == "" || r.red == nil {
		return
	}
	r.red.Add(value)
	r.CI.Mask([]string{value})
}

// Carries reports whether s holds a secret value kiln handed a child tool, in any form the
// redactor knows: such a string must not reach a record or kiln.env.
func (r *Run) Carries(s string) bool {
	return r.red != nil && r.red.String(s) != s
}

// Logf writes one line to the log, prefixed with the binary's name.
func (r *Run) Logf(format string, args ...any) {
	fmt.Fprintf(r.Log, r.binary+": "+format+"\n", args...)
}

// Phase opens a log section for one phase of the step ("packer build", "terraform plan
// (dev)"): collapsed on GitLab, a group on GitHub; its end prints the phase's elapsed time.
func (r *Run) Phase(title string) (end func(error)) {
	return ci.Open(r.CI, r.Log, r.binary, title, r.Env.Now).Close
}

// Path resolves a path given on the command line or in a variable against the working
// directory.
func (r *Run) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(r.Env.Dir, p)
}

// Main runs s as the process's step and returns the exit code.
func Main(ctx context.Context, s Step) int {
	env, err := OSEnv()
	if err != nil {
		fmt.Fprintf(os.Stderr, "kiln-%s: error: %v\n", s.Name(), err)
		return exitcode.Failed
	}
	return Execute(ctx, env, s, os.Args[1:])
}

// Execute runs s with the given environment and arguments and returns the exit code.
func Execute(ctx context.Context, env Env, s Step, args []string) int {
	binary := "kiln-" + s.Name()
	flags := append(append([]Flag{}, commonFlags...), s.Flags()...)
	opts, done, err := parseFlags(binary, s, flags, args, env.Getenv, env.Stdout)
	if done {
		if opts.Get("version") == "true" {
			fmt.Fprintln(env.Stdout, version.String(binary))
		}
		return exitcode.OK
	}
	// Everything kiln and its child tools print passes through the redactor, which learns
	// each secret value as Vault hands it over.
	red := redact.New()
	stdout, stderr := red.Writer(env.Stdout), red.Writer(env.Stderr)
	start := env.Now()
	if err == nil {
		err = execute(ctx, env, s, opts, binary, red, stdout, stderr)
	}
	stdout.Close()
	code := finish(ctx, stderr, binary, err)
	if code == exitcode.OK {
		// The step's one-line summary: its result went to stdout; this says how long it took.
		fmt.Fprintf(stderr, "%s: finished in %s\n", binary, ci.Elapsed(env.Now().Sub(start)))
	}
	stderr.Close()
	return code
}

func execute(ctx context.Context, env Env, s Step, opts Options, binary string, red *redact.Redactor, stdout, stderr io.Writer) error {
	stop, err := time.ParseDuration(opts.Get("stop-timeout"))
	if err != nil || stop < 0 {
		return exitcode.New(exitcode.Usage, "%s: want a duration such as 60s", opts.Given("stop-timeout"))
	}
	ttl, err := time.ParseDuration(opts.Get("ttl"))
	if err != nil || ttl <= 0 {
		return exitcode.New(exitcode.Usage, "%s: want a positive duration such as 6h", opts.Given("ttl"))
	}
	r := &Run{Env: env, Opts: opts, Log: stderr, Out: stdout, StopTimeout: stop, binary: binary,
		ChildEnv: map[string]string{}, TFVars: map[string]string{}, red: red}
	cfgPath := r.Path(opts.Get("config"))
	r.Config, err = config.Load(cfgPath)
	if err != nil {
		return exitcode.Wrap(exitcode.Usage, err)
	}
	r.CI = ci.Detect(env.Getenv, env.Stdout)
	r.Owner = owner.Start(s.Name(), pipelineID(r.CI), ttl)
	// A run killed with SIGKILL could not remove its private directories (secrets in 0600
	// files): remove those of kiln runs that no longer exist before this one starts.
	if _, own := s.(interface{ SweepsItself() }); own {
		// kiln-sweep lists them, and removes them only with --apply.
	} else if n, _ := privdir.Sweep(""); n > 0 {
		r.Logf("removed %d private temporary director%s left by killed kiln runs", n, map[bool]string{true: "y", false: "ies"}[n == 1])
	}
	closeSecrets, err := openSecrets(ctx, r, s.Name(), red)
	if err != nil {
		return err
	}
	defer closeSecrets()
	r.Logf("%s (%s)", s.String(), r.CI.Name())
	return s.Run(ctx, r)
}

// finish prints err as one line and returns the exit code; after a signal the code is
// 130 or 143 whatever the step returned.
func finish(ctx context.Context, stderr io.Writer, binary string, err error) int {
	if sig := SignalCode(ctx); sig != 0 {
		fmt.Fprintf(stderr, "%s: interrupted: %s\n", binary, interruptMessage(err))
		return sig
	}
	if err == nil {
		return exitcode.OK
	}
	var skip *SkipError
	if errors.As(err, &skip) {
		fmt.Fprintf(stderr, "%s: nothing to do: %s\n", binary, skip.Reason)
		return exitcode.OK
	}
	fmt.Fprintf(stderr, "%s: error: %s\n", binary, oneLine(err.Error()))
	return exitcode.Of(err)
}

func interruptMessage(err error) string {
	if err == nil || errors.Is(err, context.Canceled) {
		return "the child tool was stopped; nothing was recorded"
	}
	return oneLine(err.Error())
}

// pipelineID names the CI's pipeline, run or build for owner labels: the CI's name and the
// last element of its URL ("gitlab-81234"); "" outside CI.
func pipelineID(p ci.Provider) string {
	u := strings.TrimRight(p.Info().PipelineURL, "/")
	if u == "" || p.Name() == "local" {
		return ""
	}
	return p.Name() + "-" + u[strings.LastIndexByte(u, '/')+1:]
}
