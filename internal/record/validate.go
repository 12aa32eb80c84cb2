package record

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Validate reports the first thing that makes r an invalid record: another schema, an empty
// image id, a tests, deployment or promotion section without the image id it concerns, a
// tests status other than passed or failed (or passed with failed checks), negative counts,
// a deployment without an environment, a sensitive output that carries a value. It does not
// look at Digest; Decode checks it and Encode sets it.
func (r *Record) Validate() error {
	if r.Schema != Schema {
		return schemaError(r.Schema)
	}
	if r.Image.ID == "" {
		return errors.New("image.id is empty")
	}
	// Messages and logs print these fields: a line break or escape in one could forge a line.
	for _, f := range []struct{ name, value string }{
		{"image.id", r.Image.ID}, {"image.name", r.Image.Name}, {"image.family", r.Image.Family},
		{"source.commit", r.Source.Commit}, {"source.ref", r.Source.Ref},
	} {
		if i := strings.IndexFunc(f.value, func(c rune) bool { return c < 0x20 || c == 0x7f }); i >= 0 {
			return fmt.Errorf("%s holds a control character at byte %d", f.name, i)
		}
	}
	if d := r.Image.PackagesDigest; d != "" && !digestRE.MatchString(d) {
		return fmt.Errorf("image.packages_digest %q is not sha256:<64 hex digits>", d)
	}
	if err := r.Tests.validate(); err != nil {
		return err
	}
	if err := r.validateVerifications(); err != nil {
		return err
	}
	for i := range r.Deployments {
		if err := r.Deployments[i].validate(i); err != nil {
			return err
		}
	}
	if p := r.Promotion; p != nil {
		switch {
		case p.ImageID == "":
			return errors.New("promotion.image_id is empty")
		case p.Environment == "":
			return errors.New("promotion.environment is empty")
		}
		if err := p.validateOutcome(); err != nil {
			return err
		}
	}
	return nil
}

func (t *Tests) validate() error {
	if t == nil {
		return nil
	}
	switch {
	case t.ImageID == "":
		return errors.New("tests.image_id is empty")
	case t.Status != StatusPassed && t.Status != StatusFailed:
		return fmt.Errorf("tests.status is %q, want %q or %q", t.Status, StatusPassed, StatusFailed)
	case t.Passed < 0 || t.Failed < 0 || t.Total < 0:
		return fmt.Errorf("tests counts are negative (passed %d, failed %d, total %d)",
			t.Passed, t.Failed, t.Total)
	case t.Passed+t.Failed > t.Total:
		return fmt.Errorf("tests.passed %d + tests.failed %d is more than tests.total %d",
			t.Passed, t.Failed, t.Total)
	case t.Status == StatusPassed && t.Failed > 0:
		return fmt.Errorf("tests.status is passed but tests.failed is %d", t.Failed)
	}
	return nil
}

func (d *Deployment) validate(i int) error {
	if d.Environment == "" {
		return fmt.Errorf("deployments[%d].environment is empty", i)
	}
	if d.ImageID == "" {
		return fmt.Errorf("deployment %q: image_id is empty", d.Environment)
	}
	names := make([]string, 0, len(d.Outputs))
	for name := range d.Outputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if o := d.Outputs[name]; o.Sensitive && len(o.Value) > 0 {
			return fmt.Errorf("deployment %q: output %q is sensitive but carries a value", d.Environment, name)
		}
	}
	return nil
}

// TestedOK returns nil when the record's tests passed against this very image, and
// otherwise a one-line reason the tests do not cover it: no tests, tests of another image,
// tests that failed or ran no checks. Promotion refuses an image for which it is not nil.
func (r *Record) TestedOK() error {
	t, id := r.Tests, r.Image.ID
	switch {
	case t == nil:
		return fmt.Errorf("image %s has no test results (run kiln-test first)", id)
	case t.ImageID != id:
		return fmt.Errorf("the tests ran against image %s, not image %s", t.ImageID, id)
	case t.Status == StatusFailed:
		return fmt.Errorf("the tests of image %s failed (%d of %d checks failed)", id, t.Failed, t.Total)
	case t.Status != StatusPassed:
		return fmt.Errorf("the tests of image %s have status %q, not %q", id, t.Status, StatusPassed)
	case t.Failed > 0:
		return fmt.Errorf("the tests of image %s passed with %d failed checks", id, t.Failed)
	case t.Total == 0:
		return fmt.Errorf("the tests of image %s ran no checks", id)
	}
	return nil
}

// Deployment returns the latest deployment to env (by At; the later entry on a tie), or
// nil when the record has none. The pointer refers into r.Deployments.
func (r *Record) Deployment(env string) *Deployment {
	var found *Deployment
	for i := range r.Deployments {
		d := &r.Deployments[i]
		if d.Environment == env && (found == nil || !d.At.Before(found.At)) {
			found = d
		}
	}
	return found
}

// SetDeployment records d as the deployment to d.Environment: it replaces the one (or the
// ones) for that environment in place, or appends d.
func (r *Record) SetDeployment(d Deployment) {
	out := r.Deployments[:0:0]
	done := false
	for _, old := range r.Deployments {
		switch {
		case old.Environment != d.Environment:
			out = append(out, old)
		case !done:
			out = append(out, d)
			done = true
		}
	}
	if !done {
		out = append(out, d)
	}
	r.Deployments = out
}

// validateVerifications checks each verification like a tests section, in environment order.
func (r *Record) validateVerifications() error {
	envs := make([]string, 0, len(r.Verifications))
	for env := range r.Verifications {
		envs = append(envs, env)
	}
	sort.Strings(envs)
	for _, env := range envs {
		v := r.Verifications[env]
		p := fmt.Sprintf("verifications[%q]", env)
		switch {
		case env == "" || strings.IndexFunc(env, func(c rune) bool { return c <= 0x20 || c == 0x7f }) >= 0:
			return fmt.Errorf("%s: not an environment name", p)
		case v.ImageID == "":
			return fmt.Errorf("%s.image_id is empty", p)
		case v.Status != StatusPassed && v.Status != StatusFailed:
			return fmt.Errorf("%s.status is %q, want %q or %q", p, v.Status, StatusPassed, StatusFailed)
		case v.Passed < 0 || v.Failed < 0 || v.Passed+v.Failed > v.Total:
			return fmt.Errorf("%s counts do not add up (passed %d, failed %d, total %d)", p, v.Passed, v.Failed, v.Total)
		case v.Status == StatusPassed && v.Failed > 0:
			return fmt.Errorf("%s.status is passed but failed is %d", p, v.Failed)
		}
	}
	return nil
}

// SetVerification records v as the latest verification of environment env.
func (r *Record) SetVerification(env string, v Verification) {
	if r.Verifications == nil {
		r.Verifications = map[string]Verification{}
	}
	r.Verifications[env] = v
}
