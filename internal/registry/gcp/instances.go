package gcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/api/compute/v1"
	"google.golang.org/api/googleapi"

	"github.com/kiln-ci/kiln/internal/registry"
)

// labelRun is the owner label (see internal/owner) that every instance a kiln tool starts
// carries; only instances with it are kiln's to list and delete.
const labelRun = "kiln-run"

// OwnedInstances returns the project's instances, in every zone, that carry the kiln-run
// label, oldest first, whatever their status: a TERMINATED (stopped) instance still exists
// and its disks still cost, so it is listed like a running one. ID is the numeric instance
// id; Name and Zone are what TerminateInstances deletes by.
func (r *Registry) OwnedInstances(ctx context.Context) ([]registry.OwnedInstance, error) {
	var out []registry.OwnedInstance
	call := r.svc.Instances.AggregatedList(r.project).Filter("labels." + labelRun + ":*").MaxResults(PageSize)
	err := call.Pages(ctx, func(page *compute.InstanceAggregatedList) error {
		for scope, list := range page.Items {
			for _, in := range list.Instances {
				// Checked again: deleting is not undone, so the filter is not trusted alone.
				if _, ok := in.Labels[labelRun]; !ok {
					continue
				}
				zone := lastPart(in.Zone)
				if zone == "" {
					zone = strings.TrimPrefix(scope, "zones/")
				}
				out = append(out, registry.OwnedInstance{ID: strconv.FormatUint(in.Id, 10), Name: in.Name, Zone: zone,
					Labels: in.Labels, Created: parseStamp(in.CreationTimestamp)})
			}
		}
		return nil
	})
	if err != nil {
		return nil, callError(err, "list kiln's instances of project "+r.project)
	}
	slices.SortStableFunc(out, func(a, b registry.OwnedInstance) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Zone+"/"+a.Name, b.Zone+"/"+b.Name)
	})
	return out, nil
}

// TerminateInstances deletes insts (instances.delete of each Name in its Zone), starting
// every deletion before waiting for any, since one takes a minute or so. An instance
// already gone counts as deleted. The error joins one error per instance not deleted.
func (r *Registry) TerminateInstances(ctx context.Context, insts []registry.OwnedInstance) error {
	type started struct {
		in registry.OwnedInstance
		op *compute.Operation
	}
	var errs []error
	var ops []started
	for _, in := range insts {
		if err := ctx.Err(); err != nil {
			errs = append(errs, fmt.Errorf("delete instances: %w", err))
			break
		}
		if in.Name == "" || in.Zone == "" {
			errs = append(errs, fmt.Errorf("delete instance %s: no name or zone", in.ID))
			continue
		}
		op, err := r.svc.Instances.Delete(r.project, in.Zone, in.Name).Context(ctx).Do()
		var ge *googleapi.Error
		switch {
		case errors.As(err, &ge) && ge.Code == http.StatusNotFound: // gone already
		case err != nil:
			errs = append(errs, callError(err, "delete instance "+in.Name+" in "+in.Zone))
		default:
			ops = append(ops, started{in, op})
		}
	}
	for _, s := range ops {
		if err := r.wait(ctx, s.op, "delete instance "+s.in.Name+" in "+s.in.Zone); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// callError puts the API's status and message on one line after what was done.
func callError(err error, what string) error {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		msg := ge.Message
		if msg == "" {
			msg = http.StatusText(ge.Code)
		}
		return fmt.Errorf("%s: %d %s", what, ge.Code, msg)
	}
	return fmt.Errorf("%s: %w", what, err)
}
