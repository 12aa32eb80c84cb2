// Package revoke is kiln-revoke: it marks an image revoked, with a reason, who and when, in
// the registry (local metadata, GCP labels, AWS tags), so that kiln-deploy-dev, kiln-promote
// and kiln-rollback refuse it (exit 8) on every runner, kiln-rollback's default target skips
// it and kiln-rotate retires it as soon as nothing runs it. It says which environments still
// run the image, from their Terraform state, and how to move them off it.
package revoke

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kiln-ci/kiln/internal/deployment"
	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/gate"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/open"
	"github.com/kiln-ci/kiln/internal/step"
	"github.com/kiln-ci/kiln/internal/terraform"
)

// Step is kiln-revoke.
type Step struct{}

func (Step) Name() string   { return "revoke" }
func (Step) String() string { return "revoking an image" }
func (Step) Description() string {
	return "Revokes an image (--image, default the record's) with a --reason, in the registry: deploy,\n" +
		"promote and rollback then refuse it (exit 8) everywhere. Lists the environments still running it\n" +
		"and how to move them off. Revoking the current image with no rollback target needs --force."
}

// Examples are --help's examples.
func (Step) Examples() []string {
	return []string{"kiln-revoke --reason \"CVE-2026-1234 in openssl\"", "kiln-revoke --image local:sha256:3f5a... --reason \"bad kernel\" --at 2026-12-01T00:00:00Z"}
}

// Details is the full description, for docs/cli.md.
func (Step) Details() string {
	return "Revokes an image (--image, default the record's) with a --reason, recording who and when in the\n" +
		"registry (local metadata, GCP labels, AWS tags): from --at (default now) kiln-deploy-dev,\n" +
		"kiln-promote and kiln-rollback refuse it (exit 8, naming the reason) on every runner,\n" +
		"kiln-rollback's default target skips it, and kiln-rotate retires it as soon as nothing runs it.\n" +
		"Lists the environments whose Terraform state still runs it, with the command that moves each off\n" +
		"it. Revoking the family's current image when no earlier promoted image is left to roll back to\n" +
		"is refused (exit 8) unless --force. Revoking again never lifts or postpones a revocation: one in\n" +
		"effect stands, a scheduled one is only brought forward. --dry-run says what it would do."
}
func (Step) Flags() []step.Flag {
	return []step.Flag{
		{Name: "image", Env: "KILN_REVOKE_IMAGE", Help: "the image id to revoke (default: the record's image)"},
		{Name: "reason", Env: "KILN_REVOKE_REASON", Help: "why (required): a CVE, an incident"},
		{Name: "at", Env: "KILN_REVOKE_AT", Help: "when the revocation takes effect: RFC 3339 time or YYYY-MM-DD (default now)"},
		{Name: "force", Bool: true, Help: "revoke the family's current image even with no image to roll back to"},
		step.DryRun,
	}
}
func (Step) EnvVars() []string {
	return []string{"GITLAB_USER_LOGIN, GITHUB_ACTOR, BUILD_USER_ID, USER   who revokes (recorded with the CI's job)", open.EnvSummary}
}

// Run revokes the image.
func (Step) Run(ctx context.Context, r *step.Run) error {
	reason := strings.TrimSpace(r.Opts.Get("reason"))
	if reason == "" {
		return step.UsageError("--reason (or KILN_REVOKE_REASON) is required: say why the image is revoked")
	}
	now := r.Env.Now().UTC()
	at, err := parseAt(r.Opts.Get("at"), now)
	if err != nil {
		return step.UsageError("%s: %v", r.Opts.Given("at"), err)
	}
	id := r.Opts.Get("image")
	if id == "" {
		rec, err := r.ReadRecord()
		if err != nil {
			return err
		}
		id = rec.Image.ID
	}
	reg, err := open.Registry(ctx, r.Config, open.Options{Getenv: r.Lookup, Dir: r.Env.Dir, Now: r.Env.Now})
	if err != nil {
		return err
	}
	img, err := reg.Lookup(ctx, id)
	if err != nil {
		return err
	}
	family := img.Family
	if family == "" {
		family = r.Config.Image.Family
	}
	fam, err := reg.Pointer(ctx, family)
	if err != nil {
		return err
	}
	target, err := gate.RollbackTarget(ctx, reg, fam, at)
	if err != nil {
		return err
	}
	if fam.Current == id && target == "" && !r.Opts.Bool("force") {
		return exitcode.New(exitcode.PromotionRefused, "revocation refused: %s is family %s's current image and no earlier promoted image "+
			"that is not revoked is left to roll back to; promote a fixed image first, or pass --force "+
			"(then kiln deploys nothing of family %s until a new image is promoted)", id, family, family)
	}
	rv := registry.Revocation{At: at, By: who(r), Reason: reason}
	if old, ok := registry.RevocationOf(img); ok {
		// A revocation is never lifted or postponed by revoking again: one in effect stands
		// as it is; a scheduled one is replaced only by an earlier date.
		if old.InEffect(now) || !old.At.After(at) {
			fmt.Fprintf(r.Out, "image %s is already %s; that revocation stands\n", id, old)
			running(ctx, r, img, fam, target)
			return nil
		}
		r.Logf("image %s was to be %s; revoking it from %s instead", id, old, at.Format(time.RFC3339))
	}
	verb := "revoked"
	if r.Opts.Bool("dry-run") {
		verb = "dry run: would revoke"
	} else if err := reg.Label(ctx, id, rv.Labels()); err != nil {
		return err
	}
	when := "from now"
	if at.After(now) {
		when = "from " + at.Format(time.RFC3339)
	}
	fmt.Fprintf(r.Out, "%s %s (%s) %s, by %s: %s\n", verb, id, img.Name, when, rv.By, reason)
	running(ctx, r, img, fam, target)
	return nil
}

// running prints each environment whose Terraform state still names img, and what moves it
// off; a state that cannot be read is said so.
func running(ctx context.Context, r *step.Run, img *registry.Image, fam *registry.Family, target string) {
	m := registry.NewMatcher([]registry.Image{*img})
	for _, name := range r.Config.EnvironmentNames() {
		where, err := uses(ctx, r, name, m)
		if err != nil {
			fmt.Fprintf(r.Out, "environment %s: its Terraform state could not be read: %v\n", name, err)
			continue
		}
		if len(where) == 0 {
			continue
		}
		fix := fmt.Sprintf("kiln-deploy-dev --environment %s with another image, or kiln-destroy-dev --environment %s", name, name)
		if name == r.Config.Promote.Environment {
			fix = "promote a fixed image (kiln-promote)"
			if target != "" {
				fix = "kiln-rollback --to " + target + ", or promote a fixed image"
			}
		}
		fmt.Fprintf(r.Out, "environment %s still runs it (%s): %s\n", name, strings.Join(where, ", "), fix)
	}
	if fam.Current == img.ID {
		fmt.Fprintf(r.Out, "it is family %s's current image\n", fam.Name)
	}
}

func uses(ctx context.Context, r *step.Run, name string, m registry.Matcher) ([]string, error) {
	raw, err := deployment.PullState(ctx, r, name)
	if err != nil {
		return nil, err
	}
	refs, err := terraform.StateRefs(raw)
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for _, ref := range refs {
		if _, ok := m.Match(ref.Value); ok && !ref.Output && !seen[ref.Where] {
			seen[ref.Where] = true
			out = append(out, ref.Where)
		}
	}
	return out, nil
}

// who is who revokes: the CI's user and job, else the local user.
func who(r *step.Run) string {
	user := ""
	for _, k := range []string{"GITLAB_USER_LOGIN", "GITHUB_ACTOR", "BUILD_USER_ID", "USER"} {
		if user = r.Env.Getenv(k); user != "" {
			break
		}
	}
	if user == "" {
		user = "unknown"
	}
	if u := r.CI.Info().JobURL; u != "" {
		return user + " (" + u + ")"
	}
	if u := r.CI.Info().PipelineURL; u != "" {
		return user + " (" + u + ")"
	}
	return user
}

// parseAt reads --at: RFC 3339, or a date (midnight UTC); "" is now.
func parseAt(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-12-01T08:00:00Z) nor a date (2026-12-01)", s)
}
