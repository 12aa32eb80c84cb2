// Package gcpfake is a fake of the parts of the Compute Engine API (compute/v1 JSON over
// HTTP, as documented) that kiln's gcp registry calls, served by httptest on 127.0.0.1:
// images (list with a family filter and paging, get, deprecate, setLabels, delete), global
// operations, instances (delete) and zone operations, and the aggregated lists of
// instances, disks, instance templates and instance group managers (paged, with
// labels.KEY:* filters). It counts calls, can add latency, and can fail a chosen call.
package gcpfake

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Image is a fake image.
type Image struct {
	Name, Family string
	Created      time.Time
	Labels       map[string]string
	Fingerprint  int
	Deprecated   *Deprecation
}

// Deprecation is an image's deprecation status as the API returns it.
type Deprecation struct {
	State      string `json:"state,omitempty"`
	Deprecated string `json:"deprecated,omitempty"`
	Obsolete   string `json:"obsolete,omitempty"`
	Deleted    string `json:"deleted,omitempty"`
}

// Fake is the fake API. Its fields may be set before the first request.
type Fake struct {
	Project  string
	PageSize int           // the most items one page holds (the API allows 500)
	Latency  time.Duration // added to every request
	Token    string        // when set, requests must carry "Authorization: Bearer <Token>"
	// PendingOperations makes instances.delete answer with a RUNNING operation that is
	// DONE at its first wait, as slow operations do; the instance is gone at once.
	PendingOperations bool

	server  *httptest.Server
	mu      sync.Mutex
	images  map[string]*Image
	disks   map[string]disk           // name -> disk
	vms     map[string]*Instance      // zone/name -> instance
	zoneOps map[string]map[string]any // zone/name -> a zone operation
	tmpls   map[string][]string       // template name -> image names
	groups  map[string]string         // group name -> template name
	calls   map[string]int
	fail    map[string]failure
	ops     int
	vmSeq   uint64
}

type disk struct{ image, instance, zone string }

type failure struct {
	nth, code int
}

// New starts a fake for project; it stops when t's test ends.
func New(t interface{ Cleanup(func()) }, project string) *Fake {
	f := &Fake{Project: project, PageSize: 500, images: map[string]*Image{}, disks: map[string]disk{},
		vms: map[string]*Instance{}, zoneOps: map[string]map[string]any{},
		tmpls: map[string][]string{}, groups: map[string]string{}, calls: map[string]int{}, fail: map[string]failure{}}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	return f
}

// Endpoint is the base URL to give the client (it replaces .../compute/v1/).
func (f *Fake) Endpoint() string { return f.server.URL + "/compute/v1/" }

// Client is an HTTP client for the fake.
func (f *Fake) Client() *http.Client { return f.server.Client() }

// AddImage adds an image.
func (f *Fake) AddImage(img Image) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if img.Labels == nil {
		img.Labels = map[string]string{}
	}
	f.images[img.Name] = &img
}

// Image returns a copy of image name, or nil.
func (f *Fake) Image(name string) *Image {
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.images[name]
	if !ok {
		return nil
	}
	c := *img
	return &c
}

// Images returns the names of every image, sorted.
func (f *Fake) Images() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n := range f.images {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// AddInstance starts an unlabelled instance in us-central1-a whose boot disk (instance-boot)
// was made from image; RemoveInstance deletes it and its disk.
func (f *Fake) AddInstance(instance, image string) {
	f.CreateInstance(Instance{Name: instance, Image: image})
}

// RemoveInstance deletes an instance of us-central1-a and its boot disk.
func (f *Fake) RemoveInstance(instance string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleteInstanceLocked(zone, instance)
}

// AddDetachedDisk adds a disk made from image that no instance uses.
func (f *Fake) AddDetachedDisk(name, image string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disks[name] = disk{image: image, zone: zone}
}

// SetTemplate creates or replaces an instance template booting from images; nil images
// deletes it.
func (f *Fake) SetTemplate(name string, images ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if images == nil {
		delete(f.tmpls, name)
		return
	}
	f.tmpls[name] = images
}

// SetGroup makes managed instance group name run template; "" deletes the group.
func (f *Fake) SetGroup(name, template string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if template == "" {
		delete(f.groups, name)
		return
	}
	f.groups[name] = template
}

// FailAt makes the nth call (from now, 1-based) of op fail with the HTTP status code. The
// ops are images.list, images.get, images.deprecate, images.setLabels, images.delete,
// operations.wait, instances.delete, zoneOperations.wait, instances.aggregatedList,
// disks.aggregatedList, instanceTemplates.aggregatedList and
// instanceGroupManagers.aggregatedList.
func (f *Fake) FailAt(op string, nth, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[op] = failure{nth: f.calls[op] + nth, code: code}
}

// Calls returns how many times each op was called.
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

func (f *Fake) imageLink(name string) string {
	return f.server.URL + "/compute/v1/projects/" + f.Project + "/global/images/" + name
}

// page cuts names (sorted) into a page from token; it returns the page and the next token.
func page(names []string, token string, max, limit int) ([]string, string) {
	start, _ := strconv.Atoi(token)
	if max <= 0 || max > limit {
		max = limit
	}
	if start > len(names) {
		start = len(names)
	}
	end := start + max
	if end >= len(names) {
		return names[start:], ""
	}
	return names[start:end], fmt.Sprint(end)
}
