package check

import (
	"context"
	"regexp"
	"time"

	"github.com/kiln-ci/kiln/internal/checks"
	"github.com/kiln-ci/kiln/internal/config"

	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// live reads the test environment's Terraform state, which the checks are bound to.
type live struct {
	env string
	t   *environment.Target
}

// openLive prepares Terraform for environment env (init, the existing workspace); deployer
// is the step that deploys it, for messages ("kiln-deploy-dev").
func openLive(ctx context.Context, r *step.Run, env, deployer string) (*live, error) {
	t, err := environment.Open(ctx, deployment.Terraform(r), env, environment.Image{})
	if err != nil {
		return nil, err
	}
	existed, err := t.Workspace(ctx, false)
	if err != nil {
		t.Close()
		return nil, err
	}
	if !existed {
		t.Close()
		return nil, refuse("%s has no workspace %q: nothing is deployed to test (run %s)", env, t.Env.Workspace, deployer)
	}
	return &live{env: env, t: t}, nil
}

func (l *live) close() { l.t.Close() }

// state reads the state once (terraform state pull).
func (l *live) state(ctx context.Context) (*terraform.State, error) { return l.t.State(ctx) }

// refuse is kiln-test declining to vouch: exit 1, one line, nothing recorded.
func refuse(format string, args ...any) error {
	return exitcode.New(exitcode.Failed, "refusing to test: "+format, args...)
}

// localID is the shape of a local-registry image id; another one in the state is another
// image deployed beside the record's.
var localID = regexp.MustCompile(`^local:sha256:[0-9a-f]{64}$`)

// bound checks that st is the state the record's deployment d left, and that it runs the
// record's image (and, for local-registry images, no other); deployer is the step that
// deployed it, for messages.
func bound(rec *record.Record, d *record.Deployment, st *terraform.State, env, deployer string) error {
	id := rec.Image.ID
	switch {
	case st.Resources == 0:
		return refuse("%s's Terraform state is empty: nothing is deployed (run %s)", env, deployer)
	case d.StateLineage == "" || d.StateDigest == "":
		return refuse("the record's deployment to %s names no Terraform state: deploy it again with this kiln", env)
	case st.Lineage != d.StateLineage:
		return refuse("%s's Terraform state (lineage %s) is not the one image %s was deployed to (lineage %s)", env, st.Lineage, id, d.StateLineage)
	case !st.NamesImage(id):
		return refuse("%s runs another image than %s (state serial %d): it was redeployed since %s, "+
			"or no resource of its configuration keeps the image id", env, id, st.Serial, deployer)
	}
	if localID.MatchString(id) {
		for _, s := range st.Strings() {
			if localID.MatchString(s) && s != id {
				return refuse("%s runs image %s besides %s (state serial %d)", env, s, id, st.Serial)
			}
		}
	}
	// Outputs (the checks' addresses) and resources as the deployment left them: a state
	// written or edited since, even with its lineage and serial kept, is not what was deployed.
	if st.Digest != d.StateDigest {
		return refuse("%s's Terraform state is not the one %s left for image %s (serial %d, deployed at %d): "+
			"it was written or edited since; deploy it again", env, deployer, id, st.Serial, d.StateSerial)
	}
	return nil
}

// unchanged checks that nothing was applied to the environment while the checks ran.
func unchanged(before, after *terraform.State, id, env string) error {
	if after.Lineage != before.Lineage || after.Serial != before.Serial || !after.NamesImage(id) {
		return refuse("%s's Terraform state changed while the checks ran (serial %d, now %d): "+
			"another deployment raced the tests; nothing was recorded as passed", env, before.Serial, after.Serial)
	}
	return nil
}

// ran is one run of checks against an environment's live state.
type ran struct {
	results []checks.Result
	started time.Time
	state   *terraform.State // the state they ran against, the same before and after
}

// runBound runs checks cs against the record's deployment d of env: the live state must be
// bound to it before the checks, and unchanged after them.
func runBound(ctx context.Context, r *step.Run, rec *record.Record, d *record.Deployment, env, deployer string, cs []config.Check) (*ran, error) {
	l, err := openLive(ctx, r, env, deployer)
	if err != nil {
		return nil, err
	}
	defer l.close()
	before, err := l.state(ctx)
	if err != nil {
		return nil, err
	}
	if err := bound(rec, d, before, env, deployer); err != nil {
		return nil, err
	}
	rm := remote{cfg: r.Config, getenv: r.Env.Getenv, dir: r.Env.Dir, gossFlag: r.Opts.Get("goss"), packages: rec.Image.PackagesDigest}
	specs, err := specsFor(cs, templateData(rec, env, deployment.Outputs(r, env, before.Outputs)), rm)
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Usage, err)
	}
	out := &ran{started: r.Env.Now(), state: before}
	runner := &checks.Runner{Now: r.Env.Now, Log: r.Log}
	out.results = runner.Run(ctx, specs)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	after, err := l.state(ctx)
	if err != nil {
		return nil, err
	}
	if err := unchanged(before, after, rec.Image.ID, env); err != nil {
		return nil, err
	}
	return out, nil
}
