package lifecycle

import (
	"context"
	"fmt"
	"io"

	"github.com/kiln-ci/kiln/internal/registry"
)

// Apply carries out a plan's transitions in order, printing each one to w, and stops at the
// first error or cancellation: nothing after it is attempted, and the report says where it
// stopped.
func Apply(ctx context.Context, reg registry.Registry, rows []Row, w io.Writer) *Report {
	moves := Transitions(rows)
	rep := &Report{}
	for i, row := range moves {
		if err := ctx.Err(); err != nil {
			rep.Remaining = moves[i:]
			rep.Stopped = fmt.Sprintf("stopped before %s (%s -> %s): %v; %d of %d transitions done, %d not attempted",
				row.Image.ID, row.Image.State, row.To, err, i, len(moves), len(moves)-i)
			return rep
		}
		if err := apply(ctx, reg, row); err != nil {
			failed := row
			rep.Failed, rep.Err, rep.Remaining = &failed, err, moves[i+1:]
			rep.Stopped = stoppedLine(row, err, i, len(moves))
			return rep
		}
		writeDone(w, row, row.At)
		rep.Done = append(rep.Done, row)
	}
	return rep
}

func apply(ctx context.Context, reg registry.Registry, row Row) error {
	if row.To == registry.Deleted {
		return reg.Delete(ctx, row.Image.ID, row.At)
	}
	return reg.SetState(ctx, row.Image.ID, row.To, row.Dates)
}
