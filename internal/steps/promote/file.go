package promote

import (
	"context"

	"github.com/kiln-ci/kiln/internal/exitcode"
	"github.com/kiln-ci/kiln/internal/record"
	"github.com/kiln-ci/kiln/internal/step"
)

// fileModeAllowed refuses (exit 8) a record from a file where a file is not enough: in a CI
// job on promote.to it must carry an attestation kiln can verify (kiln.yaml's attest block;
// the gate verifies it), and in any CI job it must be of the commit the job built or, when
// that commit is a merge, of the commit it merged (its second parent).
func fileModeAllowed(ctx context.Context, r *step.Run, rec *record.Record) error {
	if r.CI.Name() == "local" {
		return nil
	}
	info := r.CI.Info()
	if info.Ref == r.Config.Promote.To && r.Config.Attest == nil {
		return exitcode.New(exitcode.PromotionRefused, "promotion refused: in a CI job on %s, kiln-promote takes the record from the CI "+
			"(--source gitlab or github) or needs a signed attestation to verify (an attest block in kiln.yaml); a bare file anyone could write is not enough", info.Ref)
	}
	if info.Commit == "" {
		return nil
	}
	want := info.Commit
	if merged := r.Git(ctx, "rev-parse", "--verify", "--quiet", info.Commit+"^2"); merged != "" {
		want = merged
	}
	if rec.Source.Commit != want {
		built := info.Commit
		if want != info.Commit {
			built += ", merging " + want
		}
		return exitcode.New(exitcode.PromotionRefused, "promotion refused: the record was baked from %s, and this job built %s",
			orUnknown(rec.Source.Commit), built)
	}
	return nil
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown commit"
	}
	return s
}
