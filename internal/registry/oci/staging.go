package oci

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/kiln-ci/kiln/internal/owner"
)

// stagingPrefix begins the name of a pull's staging directory under <cache>/images: the
// image's files are linked there, then the directory is renamed into place.
const stagingPrefix = ".pull-"

// processIDRE is an owner.ProcessID: <pid>.<start ticks>.
var processIDRE = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// newStaging creates a staging directory under parent named after this process
// (.pull-<pid>.<ticks>-<random>), so that kiln-sweep can tell a live pull's from one a
// killed run left.
func newStaging(parent string) (string, error) {
	return os.MkdirTemp(parent, stagingPrefix+owner.ProcessID(os.Getpid())+"-*")
}

// Staging is a pull's staging directory in the cache.
type Staging struct {
	Path     string
	Owner    string    // the owner.ProcessID of the pull that made it; "" when its name has none
	Modified time.Time // its modification time
}

// StagingDirs lists the staging directories of pulls in the cache cacheDir: those of pulls
// under way and those a killed pull left (a pull that ends removes its own). A cache that
// does not exist holds none.
func StagingDirs(cacheDir string) ([]Staging, error) {
	entries, err := os.ReadDir(filepath.Join(cacheDir, "images"))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []Staging
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, stagingPrefix) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		s := Staging{Path: filepath.Join(cacheDir, "images", name), Modified: info.ModTime()}
		if id, _, ok := strings.Cut(strings.TrimPrefix(name, stagingPrefix), "-"); ok && processIDRE.MatchString(id) {
			s.Owner = id
		}
		out = append(out, s)
	}
	return out, nil
}

// RemoveStaging removes a staging directory StagingDirs listed, whose files are read-only.
func RemoveStaging(path string) error { return removeAll(path) }
