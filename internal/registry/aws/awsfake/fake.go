// Package awsfake is a fake of the parts of the AWS APIs kiln's aws registry calls, as
// documented, served by httptest on 127.0.0.1: the EC2 Query API (form-encoded requests,
// XML responses: DescribeImages with tag filters and paging, CreateTags, DeleteTags,
// EnableImageDeprecation, DisableImageDeprecation, DisableImage, EnableImage,
// DeregisterImage, DeleteSnapshot, DescribeInstances with image-id, instance-state-name,
// tag-key and tag:KEY filters and paging, TerminateInstances, DescribeLaunchTemplates,
// DescribeLaunchTemplateVersions), the Auto Scaling Query API
// (DescribeLaunchConfigurations) and the SSM JSON API (GetParameter, PutParameter,
// GetParameterHistory). It counts calls, can add latency, and can make an action fail.
package awsfake

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// Image is a fake AMI.
type Image struct {
	ID, Name   string
	Created    time.Time
	Tags       map[string]string
	Disabled   bool
	Deprecate  time.Time // the deprecation time; zero: none
	Snapshots  []string
	Deregister bool // set when deregistered (the fake forgets it then)
}

// Fake is the fake API; set PageSize and Latency before the first request.
type Fake struct {
	PageSize int           // the most items a page holds (DescribeImages allows 1000)
	Latency  time.Duration // added to every request

	server    *httptest.Server
	mu        sync.Mutex
	images    map[string]*Image
	snapshots map[string]bool
	instances map[string]*Instance
	templates map[string]template // launch template id -> template
	configs   map[string]string   // launch configuration -> AMI
	params    map[string][]param
	calls     map[string]int
	fail      map[string]failure
	clock     time.Time
	seq       int
}

type template struct {
	name     string
	versions []string // the image id of each version, from 1
}

type param struct {
	value, desc string
	at          time.Time
}

type failure struct {
	from       int
	status     int
	code, text string
}

// New starts a fake; it stops when t's test ends.
func New(t interface{ Cleanup(func()) }) *Fake {
	f := &Fake{PageSize: 1000, images: map[string]*Image{}, snapshots: map[string]bool{}, instances: map[string]*Instance{},
		templates: map[string]template{}, configs: map[string]string{}, params: map[string][]param{},
		calls: map[string]int{}, fail: map[string]failure{}, clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	return f
}

// Endpoint is the URL to give the clients as their base endpoint.
func (f *Fake) Endpoint() string { return f.server.URL }

// Client is an HTTP client for the fake.
func (f *Fake) Client() *http.Client { return f.server.Client() }

// AddImage registers an AMI with one snapshot per name in img.Snapshots.
func (f *Fake) AddImage(img Image) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if img.Tags == nil {
		img.Tags = map[string]string{}
	}
	for _, s := range img.Snapshots {
		f.snapshots[s] = true
	}
	f.images[img.ID] = &img
}

// Image returns a copy of AMI id, or nil when there is none.
func (f *Fake) Image(id string) *Image {
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.images[id]
	if !ok {
		return nil
	}
	c := *img
	c.Tags = map[string]string{}
	for k, v := range img.Tags {
		c.Tags[k] = v
	}
	return &c
}

// Snapshot reports whether snapshot id exists.
func (f *Fake) Snapshot(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snapshots[id]
}

// RunInstance starts instance id from ami, running and untagged; TerminateInstance ends it.
func (f *Fake) RunInstance(id, ami string) { f.AddInstance(Instance{ID: id, AMI: ami}) }

// TerminateInstance terminates instance id; like EC2, the fake keeps listing it, as
// terminated.
func (f *Fake) TerminateInstance(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if in, ok := f.instances[id]; ok {
		in.State = "terminated"
	}
}

// AddTemplateVersion adds a version with imageID (an AMI or resolve:ssm:NAME) to launch
// template name, creating it; it returns the template's id.
func (f *Fake) AddTemplateVersion(name, imageID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	id := fmt.Sprintf("lt-%017x", f.seq)
	for k, t := range f.templates {
		if t.name == name {
			id = k
		}
	}
	t := f.templates[id]
	t.name = name
	t.versions = append(t.versions, imageID)
	f.templates[id] = t
	return id
}

// DeleteTemplate deletes launch template name with all its versions.
func (f *Fake) DeleteTemplate(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k, t := range f.templates {
		if t.name == name {
			delete(f.templates, k)
		}
	}
}

// SetLaunchConfiguration creates launch configuration name for ami; "" deletes it.
func (f *Fake) SetLaunchConfiguration(name, ami string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ami == "" {
		delete(f.configs, name)
		return
	}
	f.configs[name] = ami
}

// Parameter returns the current value of an SSM parameter and how many versions it has.
func (f *Fake) Parameter(name string) (string, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.params[name]
	if len(h) == 0 {
		return "", 0
	}
	return h[len(h)-1].value, len(h)
}

// FailFrom makes action fail from its nth call from now on (1-based), with the HTTP status
// and the service's error code, until Heal.
func (f *Fake) FailFrom(action string, nth, status int, code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[action] = failure{from: f.calls[action] + nth, status: status, code: code, text: "injected failure of " + action}
}

// Heal ends every injected failure.
func (f *Fake) Heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = map[string]failure{}
}

// Calls returns how many times each action was called.
func (f *Fake) Calls() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for k, v := range f.calls {
		out[k] = v
	}
	return out
}

// Total is the number of API calls so far.
func (f *Fake) Total() int {
	n := 0
	for _, v := range f.Calls() {
		n += v
	}
	return n
}

// page cuts keys into the page starting at token; it returns the page and the next token.
func page(keys []string, token string, max, limit int) ([]string, string) {
	start, _ := strconv.Atoi(token)
	if max <= 0 || max > limit {
		max = limit
	}
	start = min(start, len(keys))
	end := start + max
	if end >= len(keys) {
		return keys[start:], ""
	}
	return keys[start:end], strconv.Itoa(end)
}
