package awsfake

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Instance is a fake EC2 instance.
type Instance struct {
	ID, AMI   string
	State     string            // pending, running, shutting-down, terminated, stopping or stopped; "" is running
	Zone      string            // the availability zone; "" is us-east-1a
	Launched  time.Time         // the launch time; zero is 2026-01-01
	Tags      map[string]string // the Name tag and the owner tags among them
	Protected bool              // termination protection: TerminateInstances refuses the call that names it
}

// stateCodes are the codes EC2 gives the instance states.
var stateCodes = map[string]int{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

// AddInstance adds an instance, or replaces the one with its ID. An unknown State panics.
func (f *Fake) AddInstance(in Instance) {
	if in.State == "" {
		in.State = "running"
	}
	if _, ok := stateCodes[in.State]; !ok {
		panic("awsfake: unknown instance state " + in.State)
	}
	if in.Zone == "" {
		in.Zone = "us-east-1a"
	}
	if in.Launched.IsZero() {
		in.Launched = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	tags := map[string]string{}
	for k, v := range in.Tags {
		tags[k] = v
	}
	in.Tags = tags
	f.mu.Lock()
	defer f.mu.Unlock()
	f.instances[in.ID] = &in
}

// Instance returns a copy of instance id, or nil when there is none.
func (f *Fake) Instance(id string) *Instance {
	f.mu.Lock()
	defer f.mu.Unlock()
	in, ok := f.instances[id]
	if !ok {
		return nil
	}
	c := *in
	c.Tags = map[string]string{}
	for k, v := range in.Tags {
		c.Tags[k] = v
	}
	return &c
}

// matches reports whether the instance passes every filter (and one value of each).
func (in *Instance) matches(filters map[string][]string) bool {
	for name, values := range filters {
		ok := false
		switch {
		case name == "image-id":
			ok = contains(values, in.AMI)
		case name == "instance-state-name":
			ok = contains(values, in.State)
		case name == "tag-key":
			for _, k := range values {
				_, has := in.Tags[k]
				ok = ok || has
			}
		default: // tag:KEY
			v, has := in.Tags[strings.TrimPrefix(name, "tag:")]
			ok = has && contains(values, v)
		}
		if !ok {
			return false
		}
	}
	return true
}

func (f *Fake) describeInstances(w http.ResponseWriter, q request) {
	if len(q.list("InstanceId")) > 0 {
		queryError(w, http.StatusBadRequest, "InvalidParameterValue", "the fake lists instances by filter only, not by InstanceId")
		return
	}
	filters := q.filters()
	for name, values := range filters {
		if len(values) > 200 {
			queryError(w, http.StatusBadRequest, "FilterLimitExceeded", "The maximum number of filter values specified on a single call is 200")
			return
		}
		if name != "image-id" && name != "instance-state-name" && name != "tag-key" && !strings.HasPrefix(name, "tag:") {
			queryError(w, http.StatusBadRequest, "InvalidParameterValue", "the fake does not filter instances by "+name)
			return
		}
		for _, v := range values {
			if strings.ContainsAny(v, "*?") {
				queryError(w, http.StatusBadRequest, "InvalidParameterValue", "the fake does not take wildcards in filter "+name)
				return
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var keys []string
	for _, id := range slices.Sorted(maps.Keys(f.instances)) {
		if f.instances[id].matches(filters) {
			keys = append(keys, id)
		}
	}
	max, _ := strconv.Atoi(q.form.Get("MaxResults"))
	items, next := page(keys, q.form.Get("NextToken"), max, f.PageSize)
	var b strings.Builder
	b.WriteString("<reservationSet>")
	for _, id := range items {
		b.WriteString(instanceXML(f.instances[id]))
	}
	b.WriteString("</reservationSet>")
	if next != "" {
		b.WriteString("<nextToken>" + next + "</nextToken>")
	}
	respond(w, q.action, b.String())
}

// instanceXML is a reservation holding the one instance.
func instanceXML(in *Instance) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<item><reservationId>r-%s</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet><item>"+
		"<instanceId>%s</instanceId><imageId>%s</imageId><instanceState><code>%d</code><name>%s</name></instanceState>"+
		"<instanceType>t3.micro</instanceType><launchTime>%s</launchTime>"+
		"<placement><availabilityZone>%s</availabilityZone><tenancy>default</tenancy></placement>",
		esc(strings.TrimPrefix(in.ID, "i-")), esc(in.ID), esc(in.AMI), stateCodes[in.State], in.State, stamp(in.Launched), esc(in.Zone))
	if len(in.Tags) > 0 {
		b.WriteString("<tagSet>")
		for _, k := range slices.Sorted(maps.Keys(in.Tags)) {
			fmt.Fprintf(&b, "<item><key>%s</key><value>%s</value></item>", esc(k), esc(in.Tags[k]))
		}
		b.WriteString("</tagSet>")
	}
	b.WriteString("</item></instancesSet></item>")
	return b.String()
}

// terminateInstances ends every instance named, or none: an unknown or protected instance
// fails the call. The fake's instances are terminated at once, and stay listed.
func (f *Fake) terminateInstances(w http.ResponseWriter, q request) {
	ids := q.list("InstanceId")
	if len(ids) == 0 || len(ids) > 1000 {
		queryError(w, http.StatusBadRequest, "InvalidParameterValue", "TerminateInstances takes 1 to 1000 instance IDs")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var missing []string
	for _, id := range ids {
		in, ok := f.instances[id]
		switch {
		case !ok:
			missing = append(missing, id)
		case in.Protected:
			queryError(w, http.StatusBadRequest, "OperationNotPermitted", "The instance '"+id+
				"' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.")
			return
		}
	}
	if len(missing) == 1 {
		queryError(w, http.StatusBadRequest, "InvalidInstanceID.NotFound", "The instance ID '"+missing[0]+"' does not exist")
		return
	}
	if len(missing) > 1 {
		queryError(w, http.StatusBadRequest, "InvalidInstanceID.NotFound", "The instance IDs '"+strings.Join(missing, ", ")+"' do not exist")
		return
	}
	var b strings.Builder
	b.WriteString("<instancesSet>")
	for _, id := range ids {
		in := f.instances[id]
		fmt.Fprintf(&b, "<item><instanceId>%s</instanceId><currentState><code>48</code><name>terminated</name></currentState>"+
			"<previousState><code>%d</code><name>%s</name></previousState></item>", esc(id), stateCodes[in.State], in.State)
		in.State = "terminated"
	}
	b.WriteString("</instancesSet>")
	respond(w, q.action, b.String())
}
