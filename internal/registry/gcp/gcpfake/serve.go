package gcpfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"time"
)

var (
	imagesPath = regexp.MustCompile(`^/compute/v1/projects/([^/]+)/global/images(?:/([^/]+))?(?:/(deprecate|setLabels))?$`)
	waitPath   = regexp.MustCompile(`^/compute/v1/projects/([^/]+)/global/operations/([^/]+)/wait$`)
	aggPath    = regexp.MustCompile(`^/compute/v1/projects/([^/]+)/aggregated/(instances|disks|instanceTemplates|instanceGroupManagers)$`)
	vmPath     = regexp.MustCompile(`^/compute/v1/projects/([^/]+)/zones/([^/]+)/instances/([^/]+)$`)
	zoneWait   = regexp.MustCompile(`^/compute/v1/projects/([^/]+)/zones/([^/]+)/operations/([^/]+)/wait$`)
	familyEq   = regexp.MustCompile(`^\s*family\s*=\s*"?([a-z0-9-]+)"?\s*$`)
)

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	time.Sleep(f.Latency)
	op, project, handler := f.route(r)
	if handler == nil {
		writeError(w, http.StatusNotFound, "notFound", "no such API: "+r.Method+" "+r.URL.Path)
		return
	}
	if f.Token != "" && r.Header.Get("Authorization") != "Bearer "+f.Token {
		writeError(w, http.StatusUnauthorized, "authError", "Request had invalid authentication credentials.")
		return
	}
	if project != f.Project {
		writeError(w, http.StatusForbidden, "forbidden", "project "+project+" is not the fake's")
		return
	}
	f.mu.Lock()
	f.calls[op]++
	fl, failing := f.fail[op]
	failNow := failing && f.calls[op] == fl.nth
	f.mu.Unlock()
	if failNow {
		writeError(w, fl.code, "backendError", fmt.Sprintf("injected failure of %s call %d", op, fl.nth))
		return
	}
	handler(w, r)
}

// route names the operation of a request and returns its handler.
func (f *Fake) route(r *http.Request) (string, string, http.HandlerFunc) {
	p := r.URL.Path
	if m := imagesPath.FindStringSubmatch(p); m != nil {
		name, verb := m[2], m[3]
		switch {
		case name == "" && r.Method == http.MethodGet:
			return "images.list", m[1], f.listImages
		case verb == "" && r.Method == http.MethodGet:
			return "images.get", m[1], func(w http.ResponseWriter, r *http.Request) { f.getImage(w, name) }
		case verb == "" && r.Method == http.MethodDelete:
			return "images.delete", m[1], func(w http.ResponseWriter, r *http.Request) { f.deleteImage(w, name) }
		case verb == "deprecate" && r.Method == http.MethodPost:
			return "images.deprecate", m[1], func(w http.ResponseWriter, r *http.Request) { f.deprecate(w, r, name) }
		case verb == "setLabels" && r.Method == http.MethodPost:
			return "images.setLabels", m[1], func(w http.ResponseWriter, r *http.Request) { f.setLabels(w, r, name) }
		}
	}
	if m := waitPath.FindStringSubmatch(p); m != nil && r.Method == http.MethodPost {
		return "operations.wait", m[1], func(w http.ResponseWriter, r *http.Request) { writeJSON(w, f.operation("wait", m[2])) }
	}
	if m := vmPath.FindStringSubmatch(p); m != nil && r.Method == http.MethodDelete {
		return "instances.delete", m[1], func(w http.ResponseWriter, r *http.Request) { f.deleteInstance(w, m[2], m[3]) }
	}
	if m := zoneWait.FindStringSubmatch(p); m != nil && r.Method == http.MethodPost {
		return "zoneOperations.wait", m[1], func(w http.ResponseWriter, r *http.Request) { f.waitZone(w, m[2], m[3]) }
	}
	if m := aggPath.FindStringSubmatch(p); m != nil && r.Method == http.MethodGet {
		return m[2] + ".aggregatedList", m[1], func(w http.ResponseWriter, r *http.Request) { f.aggregated(w, r, m[2]) }
	}
	return "", "", nil
}

func (f *Fake) listImages(w http.ResponseWriter, r *http.Request) {
	family := ""
	if filter := r.URL.Query().Get("filter"); filter != "" {
		m := familyEq.FindStringSubmatch(filter)
		if m == nil {
			writeError(w, http.StatusBadRequest, "invalid", "the fake understands only family = \"NAME\" filters, not "+filter)
			return
		}
		family = m[1]
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for n, img := range f.images {
		if family == "" || img.Family == family {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	max, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
	items, next := page(names, r.URL.Query().Get("pageToken"), max, f.PageSize)
	out := map[string]any{"kind": "compute#imageList", "id": "projects/" + f.Project + "/global/images",
		"selfLink": f.server.URL + r.URL.Path}
	list := []any{}
	for _, n := range items {
		list = append(list, f.imageJSON(f.images[n]))
	}
	if len(list) > 0 {
		out["items"] = list
	}
	if next != "" {
		out["nextPageToken"] = next
	}
	writeJSON(w, out)
}

func (f *Fake) getImage(w http.ResponseWriter, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.images[name]
	if !ok {
		writeNotFound(w, f.Project, name)
		return
	}
	writeJSON(w, f.imageJSON(img))
}

func (f *Fake) deleteImage(w http.ResponseWriter, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.images[name]; !ok {
		writeNotFound(w, f.Project, name)
		return
	}
	delete(f.images, name)
	writeJSON(w, f.operationLocked("delete", name))
}

func (f *Fake) deprecate(w http.ResponseWriter, r *http.Request, name string) {
	var st Deprecation
	if err := json.NewDecoder(r.Body).Decode(&st); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "bad DeprecationStatus: "+err.Error())
		return
	}
	switch st.State {
	case "", "ACTIVE", "DEPRECATED", "OBSOLETE", "DELETED":
	default:
		writeError(w, http.StatusBadRequest, "invalid", "Invalid value for field 'state': '"+st.State+"'")
		return
	}
	for _, d := range []string{st.Deprecated, st.Obsolete, st.Deleted} {
		if _, err := time.Parse(time.RFC3339, d); d != "" && err != nil {
			writeError(w, http.StatusBadRequest, "invalid", "Invalid value for a date: '"+d+"'")
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.images[name]
	if !ok {
		writeNotFound(w, f.Project, name)
		return
	}
	if st.State == "" || st.State == "ACTIVE" {
		img.Deprecated = nil
	} else {
		img.Deprecated = &st
	}
	writeJSON(w, f.operationLocked("deprecate", name))
}

func (f *Fake) setLabels(w http.ResponseWriter, r *http.Request, name string) {
	var req struct {
		Labels           map[string]string `json:"labels"`
		LabelFingerprint string            `json:"labelFingerprint"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid", "bad GlobalSetLabelsRequest: "+err.Error())
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	img, ok := f.images[name]
	if !ok {
		writeNotFound(w, f.Project, name)
		return
	}
	if req.LabelFingerprint != fingerprint(img) {
		writeError(w, http.StatusPreconditionFailed, "conditionNotMet", "Labels fingerprint either invalid or resource labels have changed")
		return
	}
	for k, v := range req.Labels {
		if !labelRE.MatchString(k) || !valueRE.MatchString(v) {
			writeError(w, http.StatusBadRequest, "invalid", fmt.Sprintf("Invalid label %q=%q", k, v))
			return
		}
	}
	img.Labels = req.Labels
	img.Fingerprint++
	writeJSON(w, f.operationLocked("setLabels", name))
}

var (
	labelRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	valueRE = regexp.MustCompile(`^[a-z0-9_-]{0,63}$`)
)

func fingerprint(img *Image) string { return "fp" + strconv.Itoa(img.Fingerprint) }

func (f *Fake) imageJSON(img *Image) map[string]any {
	out := map[string]any{
		"kind": "compute#image", "id": strconv.FormatUint(uint64(len(img.Name))*7919+uint64(img.Created.Unix()), 10),
		"creationTimestamp": img.Created.In(time.FixedZone("PST", -8*3600)).Format("2006-01-02T15:04:05.000-07:00"),
		"name":              img.Name, "family": img.Family, "status": "READY", "sourceType": "RAW",
		"selfLink": f.imageLink(img.Name), "labelFingerprint": fingerprint(img),
	}
	if len(img.Labels) > 0 {
		out["labels"] = img.Labels
	}
	if img.Deprecated != nil {
		out["deprecated"] = img.Deprecated
	}
	return out
}

func (f *Fake) operation(kind, target string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.operationLocked(kind, target)
}

// operationLocked returns a finished global operation, as the API returns for quick ones.
func (f *Fake) operationLocked(kind, target string) map[string]any {
	f.ops++
	name := fmt.Sprintf("operation-%d-%s", f.ops, kind)
	return map[string]any{"kind": "compute#operation", "id": strconv.Itoa(1000 + f.ops), "name": name,
		"operationType": kind, "targetLink": f.imageLink(target), "status": "DONE", "progress": 100,
		"selfLink": f.server.URL + "/compute/v1/projects/" + f.Project + "/global/operations/" + name}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	json.NewEncoder(w).Encode(v)
}

func writeNotFound(w http.ResponseWriter, project, name string) {
	writeError(w, http.StatusNotFound, "notFound", "The resource 'projects/"+project+"/global/images/"+name+"' was not found")
}

// writeError writes the API's error document.
func writeError(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg,
		"errors": []any{map[string]any{"message": msg, "domain": "global", "reason": reason}}}})
}
