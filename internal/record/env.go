package record

import "time"

// The standard kiln.env keys, derived from the record by EnvFromRecord.
const (
	EnvImageID             = "KILN_IMAGE_ID"
	EnvImageName           = "KILN_IMAGE_NAME"
	EnvImageFamily         = "KILN_IMAGE_FAMILY"
	EnvSourceSHA           = "KILN_SOURCE_SHA"
	EnvBuiltAt             = "KILN_BUILT_AT" // RFC 3339, UTC
	EnvTestStatus          = "KILN_TEST_STATUS"
	EnvPromotedEnvironment = "KILN_PROMOTED_ENVIRONMENT"
)

// EnvFromRecord returns the standard kiln.env variables of r: image id, name and family,
// source commit and build time, plus the test status when the record has tests and the
// environment promoted to when it has a promotion that was not rolled back. Pass it to
// Dotenv.SetAll, and delete the keys of StaleKeys that it lacks: they belong to an earlier
// image.
func EnvFromRecord(r *Record) map[string]string {
	env := map[string]string{
		EnvImageID:     r.Image.ID,
		EnvImageName:   r.Image.Name,
		EnvImageFamily: r.Image.Family,
		EnvSourceSHA:   r.Source.Commit,
		EnvBuiltAt:     r.BuiltAt.UTC().Format(time.RFC3339),
	}
	if r.Tests != nil {
		env[EnvTestStatus] = r.Tests.Status
	}
	if r.Promotion.Done() {
		env[EnvPromotedEnvironment] = r.Promotion.Environment
	}
	return env
}

// StaleKeys are the standard keys EnvFromRecord sets only when the record has the section
// they describe: a kiln.env written for an earlier image must not keep them.
var StaleKeys = []string{EnvTestStatus, EnvPromotedEnvironment}
