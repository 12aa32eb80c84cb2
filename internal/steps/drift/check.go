package drift

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"time"

	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/environment"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/open"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/steps/rollout"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// checker knows what each environment should run and checks one at a time.
type checker struct {
	r       *step.Run
	reg     registry.Registry
	now     time.Time
	family  []registry.Image // every image of the family, to find them in a state
	current string           // the family's current image; "" when never promoted
	rec     *record.Record   // nil when there is no record
}

// newChecker opens the registry and reads what the environments names should run: the
// family pointer for the promote environment, the record for the others (no record: no
// image kiln deployed there; an invalid record is exit 6).
func newChecker(ctx context.Context, r *step.Run, names []string) (*checker, error) {
	reg, err := open.Registry(ctx, r.Config, open.Options{Getenv: r.Lookup, Dir: r.Env.Dir, Now: r.Env.Now})
	if err != nil {
		return nil, err
	}
	c := &checker{r: r, reg: reg, now: r.Env.Now().UTC()}
	family := r.Config.Image.Family
	if c.family, err = reg.List(ctx, family); err != nil {
		return nil, err
	}
	for _, name := range names {
		if name == r.Config.Promote.Environment {
			f, err := reg.Pointer(ctx, family)
			if err != nil {
				return nil, err
			}
			c.current = f.Current
		} else if c.rec == nil {
			if _, err := os.Stat(r.RecordPath()); errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if c.rec, err = r.ReadRecord(); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// expected returns the image environment name should run and how to say where that comes
// from; "" when kiln deployed none there.
func (c *checker) expected(name string) (id, source string) {
	if name == c.r.Config.Promote.Environment {
		return c.current, "the family's current image is " + c.current
	}
	if c.rec != nil {
		for i := len(c.rec.Deployments) - 1; i >= 0; i-- {
			if d := c.rec.Deployments[i]; d.Environment == name {
				return d.ImageID, "kiln deployed " + d.ImageID + " there"
			}
		}
	}
	return "", ""
}

// check plans environment name with the image it should run and reads its state once.
func (c *checker) check(ctx context.Context, name string) (Environment, error) {
	env := newEnvironment(name)
	id, source := c.expected(name)
	if id == "" {
		env.Skipped = "no image kiln deployed there"
		return env, nil
	}
	env.Image = id
	if err := deployment.ImageVarDeclared(c.r.Config, name); err != nil {
		return env, err
	}
	img, err := deployment.Resolve(ctx, c.r, id)
	if err != nil {
		return env, err
	}
	opts := deployment.Quiet(c.r)
	if s := c.r.Config.Promote.Strategy; !s.IsReplace() && name == c.r.Config.Promote.Environment {
		// The slots at rest: the image alone in the slot that serves, as a rollout leaves them.
		vars, err := rollout.SteadyVars(ctx, c.r, s, name, id)
		if err != nil {
			return env, err
		}
		opts.TFVars = maps.Clone(opts.TFVars)
		if opts.TFVars == nil {
			opts.TFVars = map[string]string{}
		}
		maps.Copy(opts.TFVars, vars)
	}
	t, err := environment.Open(ctx, opts, name, img)
	if err != nil {
		return env, err
	}
	defer t.Close()
	existed, err := t.Workspace(ctx, false)
	if err != nil {
		return env, err
	}
	if !existed {
		env.Skipped = fmt.Sprintf("no workspace %q", t.Env.Workspace)
		return env, nil
	}
	raw, err := t.StatePull(ctx)
	if err != nil {
		return env, err
	}
	st, err := terraform.ParseState(raw)
	if err != nil {
		return env, err
	}
	if st.Resources == 0 && name != c.r.Config.Promote.Environment {
		env.Skipped = "nothing deployed there (its state is empty)"
		return env, nil
	}
	if err := c.plan(ctx, t, &env); err != nil {
		return env, err
	}
	return env, c.images(ctx, &env, raw, source)
}

// plan runs terraform plan (refresh on, with the state lock) into the target's private plan
// file and lists its changes; it never applies it.
func (c *checker) plan(ctx context.Context, t *environment.Target, env *Environment) error {
	changed, err := t.Plan(ctx, t.PlanFile())
	if err != nil {
		return err
	}
	p, err := t.ShowPlan(ctx, t.PlanFile())
	if err != nil {
		return err
	}
	for _, ch := range terraform.PlanChanges(p) {
		env.Changes = append(env.Changes, c.mask(ch))
	}
	if changed && len(env.Changes) == 0 {
		env.Changes = append(env.Changes, terraform.Change{Address: "terraform plan", Action: "changes kiln cannot list"})
	}
	return nil
}

// images finds the family's images (and the expected one) in a raw state: another image
// than the expected one, or a revoked one, is a finding.
func (c *checker) images(ctx context.Context, env *Environment, raw []byte, source string) error {
	refs, err := terraform.StateRefs(raw)
	if err != nil {
		return err
	}
	m := registry.NewMatcher(append(append([]registry.Image{}, c.family...), registry.Image{ID: env.Image}))
	seen := map[string]bool{}
	for _, ref := range refs {
		if id, ok := m.Match(ref.Value); ok && !seen[id] {
			seen[id] = true
			env.ImagesFound = append(env.ImagesFound, id)
		}
	}
	for _, id := range env.ImagesFound {
		if id != env.Image {
			env.findings = append(env.findings, fmt.Sprintf("%s runs %s, %s", env.Name, id, source))
		}
		img, err := c.lookup(ctx, id)
		if err != nil {
			return err
		}
		if rv, ok := registry.Revoked(img, c.now); ok {
			env.Revoked = append(env.Revoked, Revocation{ID: id, At: rv.At, By: rv.By, Reason: rv.Reason})
			env.findings = append(env.findings, fmt.Sprintf("%s runs %s, %s", env.Name, id, rv))
		}
	}
	return nil
}

// lookup returns image id from the family's listing, else from the registry; nil when the
// registry does not hold it.
func (c *checker) lookup(ctx context.Context, id string) (*registry.Image, error) {
	for i := range c.family {
		if c.family[i].ID == id {
			return &c.family[i], nil
		}
	}
	img, err := c.reg.Lookup(ctx, id)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, nil
	}
	return img, err
}

// mask hides a value that carries a secret kiln handed Terraform (a Vault value in a
// variable Terraform does not know is sensitive): the report file is not redacted.
func (c *checker) mask(ch terraform.Change) terraform.Change {
	if c.r.Carries(ch.Before) {
		ch.Before = terraform.SensitiveValue
	}
	if c.r.Carries(ch.After) {
		ch.After = terraform.SensitiveValue
	}
	return ch
}

// clean is an error message for the report file, unless it carries a secret.
func (c *checker) clean(msg string) string {
	if c.r.Carries(msg) {
		return "the error holds a secret value (see the log)"
	}
	return msg
}
