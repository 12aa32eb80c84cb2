package lifecycle

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable prints a plan as a table: image, name, created, state now -> next, date, why.
// DELETED images (tombstones) are left out.
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tNAME\tCREATED\tSTATE\tDATE\tWHY")
	for _, r := range rows {
		if r.Kept == KeptDeleted {
			continue
		}
		state, date := string(r.Image.State), "-"
		if r.To != "" {
			state += " -> " + string(r.To)
		}
		if !r.At.IsZero() {
			date = dateOf(r.At)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Image.ID, r.Image.Name, dateOf(r.Image.Created), state, date, r.Why)
	}
	return tw.Flush()
}

// Summary counts a plan: "3 to deprecate, 1 to obsolete, 0 to delete; 12 stay (1 current,
// 2 in use, 0 use unknown, 3 newest, 6 not due)".
func Summary(rows []Row) string {
	moves := map[string]int{}
	kept := map[Reason]int{}
	stay := 0
	for _, r := range rows {
		switch {
		case r.To != "":
			moves[string(r.To)]++
		case r.Kept != KeptDeleted:
			kept[r.Kept]++
			stay++
		}
	}
	return fmt.Sprintf("%d to deprecate, %d to obsolete, %d to delete; %d stay (%d current, %d rollback target, %d in use, %d use unknown, %d newest, %d not due)",
		moves["DEPRECATED"], moves["OBSOLETE"], moves["DELETED"], stay,
		kept[KeptCurrent], kept[KeptRollback], kept[KeptInUse], kept[KeptUnknown], kept[KeptNewest], kept[KeptNotDue])
}

// Report is what an applied rotation did.
type Report struct {
	Done      []Row  // transitions carried out, in order
	Failed    *Row   // the transition that failed, if one did
	Err       error  // its error
	Remaining []Row  // transitions not attempted after the failure
	Stopped   string // why the run stopped early ("" when it finished)
}

// Error returns nil when every transition was made, else one line saying where it stopped.
func (r *Report) Error() error {
	if r.Stopped == "" {
		return nil
	}
	return fmt.Errorf("%s", r.Stopped)
}

// write prints one carried-out transition.
func writeDone(w io.Writer, row Row, at time.Time) {
	fmt.Fprintf(w, "%s %s: %s -> %s\n", dateOf(at), row.Image.ID, row.Image.State, row.To)
}

// stoppedLine says where a run stopped: the image, the transition, the error and what is left.
func stoppedLine(row Row, err error, done, total int) string {
	return fmt.Sprintf("stopped at %s (%s -> %s): %s; %d of %d transitions done, %d not attempted",
		row.Image.ID, row.Image.State, row.To, strings.TrimSpace(err.Error()), done, total, total-done-1)
}
