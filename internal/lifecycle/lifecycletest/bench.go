package lifecycletest

import (
	"time"

	"github.com/kiln-ci/kiln/internal/lifecycle"
	"github.com/kiln-ci/kiln/internal/registry"
)

// BenchImages is the size of the benchmarks' family.
const BenchImages = 10000

// BenchNow is the benchmarks' rotation time.
var BenchNow = time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)

// BenchImage describes the n-th image of a benchmark family. In the steady family, images
// were created over the 90 days before BenchNow and are in the states the policy gave them
// at the previous day's rotation, so that a day's rotation moves a few hundred. In the
// backlog family, images were created over 400 days and never rotated: all READY, most of
// them due.
func BenchImage(n int, backlog bool) (created time.Time, state registry.State, dates registry.Dates) {
	span := 90 * day
	if backlog {
		span = 400 * day
	}
	created = BenchNow.Add(-span + time.Duration(n)*(span/BenchImages)).Add(-time.Hour)
	img := registry.Image{Created: created, State: registry.Ready}
	yesterday := BenchNow.Add(-day)
	for i := 0; i < 3 && !backlog; i++ {
		due, ok := Policy.Due(img)
		if !ok || due.After(yesterday) {
			break
		}
		next := img.State.Next()
		img.Dates = Policy.Dates(img, next, due)
		img.State = next
	}
	return created, img.State, img.Dates
}

// BenchRotation is the benchmarks' rotation of reg.
func BenchRotation(reg registry.Registry, uses lifecycle.UsesFunc) lifecycle.Rotation {
	return lifecycle.Rotation{Registry: reg, Family: "demo-web", Policy: Policy, Now: BenchNow, Uses: uses}
}
