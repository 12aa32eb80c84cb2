package gcpfake

import (
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
)

// The fake places instances, disks and groups in one zone unless told otherwise, and
// templates in "global".
const zone = "us-central1-a"

// labelSet is the one filter the fake understands: labels.KEY:* (the item has label KEY).
var labelSet = regexp.MustCompile(`^\s*labels\.([a-z][a-z0-9_-]*)\s*:\s*\*\s*$`)

// scoped is one item of an aggregated list and the scope it is listed under.
type scoped struct {
	scope string
	item  map[string]any
}

// aggregated serves the aggregated lists: items keyed by scope, with a NO_RESULTS_ON_PAGE
// warning on a scope that has none, paged over all items. A filter other than
// labels.KEY:* is refused, as the API refuses one it cannot parse.
func (f *Fake) aggregated(w http.ResponseWriter, r *http.Request, kind string) {
	label := ""
	if filter := r.URL.Query().Get("filter"); filter != "" {
		m := labelSet.FindStringSubmatch(filter)
		if m == nil {
			writeError(w, http.StatusBadRequest, "invalid", "Invalid value for field 'filter': '"+filter+
				"'. The fake understands only labels.KEY:* filters on aggregated lists.")
			return
		}
		label = m[1]
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []scoped
	for _, s := range f.items(kind) {
		if labels, _ := s.item["labels"].(map[string]string); label == "" || hasKey(labels, label) {
			all = append(all, s)
		}
	}
	idx := make([]string, len(all))
	for i := range all {
		idx[i] = strconv.Itoa(i)
	}
	max, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
	items, next := page(idx, r.URL.Query().Get("pageToken"), max, f.PageSize)
	lists := map[string][]any{}
	for _, i := range items {
		n, _ := strconv.Atoi(i)
		lists[all[n].scope] = append(lists[all[n].scope], all[n].item)
	}
	scopes := map[string]any{}
	for _, sc := range []string{"zones/" + zone, "zones/europe-west1-b", "global"} {
		scopes[sc] = map[string]any{"warning": map[string]any{"code": "NO_RESULTS_ON_PAGE",
			"message": "There are no results for scope '" + sc + "' on this page."}}
	}
	for sc, list := range lists {
		scopes[sc] = map[string]any{kind: list}
	}
	out := map[string]any{"kind": "compute#" + kind[:len(kind)-1] + "AggregatedList", "id": "projects/" + f.Project + "/aggregated/" + kind,
		"items": scopes}
	if next != "" {
		out["nextPageToken"] = next
	}
	writeJSON(w, out)
}

// items returns every item of kind, in a stable order, with its scope.
func (f *Fake) items(kind string) []scoped {
	base := f.server.URL + "/compute/v1/projects/" + f.Project
	var all []scoped
	switch kind {
	case "instances":
		for _, k := range slices.Sorted(maps.Keys(f.vms)) {
			in := f.vms[k]
			all = append(all, scoped{"zones/" + in.Zone, f.instanceJSON(in)})
		}
	case "disks":
		for _, n := range slices.Sorted(maps.Keys(f.disks)) {
			d := f.disks[n]
			item := map[string]any{"kind": "compute#disk", "name": n, "zone": base + "/zones/" + d.zone,
				"sourceImage": f.imageLink(d.image), "status": "READY", "sizeGb": "10",
				"selfLink": base + "/zones/" + d.zone + "/disks/" + n}
			if d.instance != "" {
				item["users"] = []string{base + "/zones/" + d.zone + "/instances/" + d.instance}
			}
			all = append(all, scoped{"zones/" + d.zone, item})
		}
	case "instanceTemplates":
		for _, n := range slices.Sorted(maps.Keys(f.tmpls)) {
			var disks []any
			for i, img := range f.tmpls[n] {
				disks = append(disks, map[string]any{"boot": i == 0, "type": "PERSISTENT",
					"initializeParams": map[string]any{"sourceImage": "projects/" + f.Project + "/global/images/" + img}})
			}
			all = append(all, scoped{"global", map[string]any{"kind": "compute#instanceTemplate", "name": n,
				"selfLink": base + "/global/instanceTemplates/" + n, "properties": map[string]any{"disks": disks}}})
		}
	case "instanceGroupManagers":
		for _, n := range slices.Sorted(maps.Keys(f.groups)) {
			tmpl := base + "/global/instanceTemplates/" + f.groups[n]
			all = append(all, scoped{"zones/" + zone, map[string]any{"kind": "compute#instanceGroupManager", "name": n,
				"zone": base + "/zones/" + zone, "instanceTemplate": tmpl, "versions": []any{map[string]any{"instanceTemplate": tmpl}}}})
		}
	}
	return all
}

func hasKey(m map[string]string, k string) bool {
	_, ok := m[k]
	return ok
}
