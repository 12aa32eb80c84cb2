package gcpfake

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Instance is a fake Compute Engine instance.
type Instance struct {
	Name    string
	Zone    string            // "" is us-central1-a
	Status  string            // RUNNING, TERMINATED (stopped), ...; "" is RUNNING
	Labels  map[string]string // the owner labels among them
	Created time.Time         // zero is 2026-01-01
	Image   string            // the image its boot disk (Name-boot) was made from; "" is no disk
	ID      uint64            // the numeric id; 0 is one the fake picks
}

// CreateInstance adds an instance, with its boot disk when it has an Image, or replaces
// the one of its zone and name.
func (f *Fake) CreateInstance(in Instance) {
	if in.Zone == "" {
		in.Zone = zone
	}
	if in.Status == "" {
		in.Status = "RUNNING"
	}
	if in.Created.IsZero() {
		in.Created = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	labels := map[string]string{}
	for k, v := range in.Labels {
		labels[k] = v
	}
	in.Labels = labels
	f.mu.Lock()
	defer f.mu.Unlock()
	if in.ID == 0 {
		f.vmSeq++
		in.ID = 4_000_000_000_000_000_000 + f.vmSeq
	}
	f.vms[in.Zone+"/"+in.Name] = &in
	if in.Image != "" {
		f.disks[in.Name+"-boot"] = disk{image: in.Image, instance: in.Name, zone: in.Zone}
	}
}

// Instance returns a copy of instance name of zone ("" is us-central1-a), or nil when
// there is none.
func (f *Fake) Instance(zoneName, name string) *Instance {
	if zoneName == "" {
		zoneName = zone
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	in, ok := f.vms[zoneName+"/"+name]
	if !ok {
		return nil
	}
	c := *in
	c.Labels = map[string]string{}
	for k, v := range in.Labels {
		c.Labels[k] = v
	}
	return &c
}

// Instances returns zone/name of every instance, sorted.
func (f *Fake) Instances() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.vms))
}

// deleteInstanceLocked deletes an instance and its boot disk (auto-deleted, as a boot
// disk made with the instance is).
func (f *Fake) deleteInstanceLocked(zoneName, name string) bool {
	_, ok := f.vms[zoneName+"/"+name]
	delete(f.vms, zoneName+"/"+name)
	if d, has := f.disks[name+"-boot"]; has && d.instance == name && d.zone == zoneName {
		delete(f.disks, name+"-boot")
	}
	return ok
}

func (f *Fake) instanceJSON(in *Instance) map[string]any {
	base := f.server.URL + "/compute/v1/projects/" + f.Project + "/zones/" + in.Zone
	out := map[string]any{"kind": "compute#instance", "id": strconv.FormatUint(in.ID, 10), "name": in.Name,
		"creationTimestamp": in.Created.In(time.FixedZone("PST", -8*3600)).Format("2006-01-02T15:04:05.000-07:00"),
		"zone":              base, "status": in.Status, "machineType": base + "/machineTypes/e2-small",
		"labelFingerprint": "fp0", "selfLink": base + "/instances/" + in.Name}
	if len(in.Labels) > 0 {
		out["labels"] = in.Labels
	}
	if in.Image != "" {
		out["disks"] = []any{map[string]any{"kind": "compute#attachedDisk", "type": "PERSISTENT", "mode": "READ_WRITE",
			"boot": true, "autoDelete": true, "deviceName": "persistent-disk-0", "source": base + "/disks/" + in.Name + "-boot"}}
	}
	return out
}

func (f *Fake) deleteInstance(w http.ResponseWriter, zoneName, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.deleteInstanceLocked(zoneName, name) {
		writeError(w, http.StatusNotFound, "notFound", "The resource 'projects/"+f.Project+"/zones/"+zoneName+"/instances/"+name+"' was not found")
		return
	}
	f.ops++
	op := fmt.Sprintf("operation-%d-delete", f.ops)
	base := f.server.URL + "/compute/v1/projects/" + f.Project + "/zones/" + zoneName
	status, progress := "DONE", 100
	if f.PendingOperations {
		status, progress = "RUNNING", 0
	}
	f.zoneOps[zoneName+"/"+op] = map[string]any{"kind": "compute#operation", "id": strconv.Itoa(1000 + f.ops), "name": op,
		"zone": base, "operationType": "delete", "targetLink": base + "/instances/" + name, "status": status, "progress": progress,
		"selfLink": base + "/operations/" + op}
	writeJSON(w, f.zoneOps[zoneName+"/"+op])
}

// waitZone answers zoneOperations.wait: the operation, now DONE.
func (f *Fake) waitZone(w http.ResponseWriter, zoneName, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	op, ok := f.zoneOps[zoneName+"/"+name]
	if !ok {
		writeError(w, http.StatusNotFound, "notFound", "The resource 'projects/"+f.Project+"/zones/"+zoneName+"/operations/"+name+"' was not found")
		return
	}
	op["status"], op["progress"] = "DONE", 100
	writeJSON(w, op)
}
