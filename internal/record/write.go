package record

import (
	"fmt"

	"github.com/kiln-ci/kiln/internal/atomicfile"
)

// Write encodes r (setting its Digest) and replaces the file at path atomically: readers see
// the old file or the new one, never a part. On any failure the old file is left as it was
// and no temporary file is left behind.
func Write(path string, r *Record) error {
	data, err := r.Encode()
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return atomicfile.Write(path, data, 0o644)
}
