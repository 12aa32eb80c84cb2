package sweep

import (
	"context"
	"fmt"
	"time"

	"github.com/kiln-ci/kiln/internal/owner"
	"github.com/kiln-ci/kiln/internal/registry/oci"
)

// stalePull is how old a pull's staging directory in the OCI cache must be to count as
// stale: a pull only links verified layers there, which takes moments, never an hour.
const stalePull = time.Hour

// pulls: staging directories a killed pull left in this machine's OCI image cache
// (KILN_OCI_CACHE, else the default cache), whatever kiln.yaml's registry type: the cache
// is shared by every project on the machine. One is stale when it is older than stalePull
// and the kiln process its name records (if any) no longer runs.
func (s *sweeper) pulls() {
	cache := oci.DefaultCache(s.r.Lookup, s.r.Env.Dir)
	if cache == "" {
		return
	}
	s.stalePulls(cache, owner.Alive)
}

func (s *sweeper) stalePulls(cache string, alive func(string) bool) {
	dirs, err := oci.StagingDirs(cache)
	if err != nil {
		s.failed("OCI cache "+cache, err)
		return
	}
	for _, d := range dirs {
		if s.now.Sub(d.Modified) < stalePull || d.Owner != "" && alive(d.Owner) {
			continue
		}
		why := fmt.Sprintf("an unfinished pull into the OCI image cache from %s", d.Modified.UTC().Format(time.RFC3339))
		if d.Owner != "" {
			why += fmt.Sprintf(" by kiln process %s, which no longer runs", d.Owner)
		}
		path := d.Path
		s.add(finding{kind: "pull", what: path, why: why,
			remove: func(context.Context) error { return oci.RemoveStaging(path) }})
	}
}
