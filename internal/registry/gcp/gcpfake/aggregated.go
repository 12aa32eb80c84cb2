package gcpfake

import (
	"net/http"
	"strconv"
)

// The fake places instances and groups in one zone and templates in "global".
const zone = "us-central1-a"

// aggregated serves the aggregated lists: items keyed by scope, with a NO_RESULTS_ON_PAGE
// warning on a scope that has none, paged over all items.
func (f *Fake) aggregated(w http.ResponseWriter, r *http.Request, kind string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	base := f.server.URL + "/compute/v1/projects/" + f.Project
	var all []map[string]any
	switch kind {
	case "disks":
		for _, n := range sortedKeys(f.disks) {
			d := f.disks[n]
			item := map[string]any{"kind": "compute#disk", "name": n, "zone": base + "/zones/" + zone,
				"sourceImage": f.imageLink(d.image), "status": "READY", "sizeGb": "10",
				"selfLink": base + "/zones/" + zone + "/disks/" + n}
			if d.instance != "" {
				item["users"] = []string{base + "/zones/" + zone + "/instances/" + d.instance}
			}
			all = append(all, item)
		}
	case "instanceTemplates":
		for _, n := range sortedKeys(f.tmpls) {
			var disks []any
			for i, img := range f.tmpls[n] {
				disks = append(disks, map[string]any{"boot": i == 0, "type": "PERSISTENT",
					"initializeParams": map[string]any{"sourceImage": "projects/" + f.Project + "/global/images/" + img}})
			}
			all = append(all, map[string]any{"kind": "compute#instanceTemplate", "name": n,
				"selfLink": base + "/global/instanceTemplates/" + n, "properties": map[string]any{"disks": disks}})
		}
	case "instanceGroupManagers":
		for _, n := range sortedKeys(f.groups) {
			tmpl := base + "/global/instanceTemplates/" + f.groups[n]
			all = append(all, map[string]any{"kind": "compute#instanceGroupManager", "name": n, "zone": base + "/zones/" + zone,
				"instanceTemplate": tmpl, "versions": []any{map[string]any{"instanceTemplate": tmpl}}})
		}
	}
	idx := make([]string, len(all))
	for i := range all {
		idx[i] = strconv.Itoa(i)
	}
	max, _ := strconv.Atoi(r.URL.Query().Get("maxResults"))
	items, next := page(idx, r.URL.Query().Get("pageToken"), max, f.PageSize)
	scope := "zones/" + zone
	if kind == "instanceTemplates" {
		scope = "global"
	}
	var list []any
	for _, i := range items {
		n, _ := strconv.Atoi(i)
		list = append(list, all[n])
	}
	scoped := map[string]any{}
	if len(list) > 0 {
		scoped[kind] = list
	} else {
		scoped["warning"] = map[string]any{"code": "NO_RESULTS_ON_PAGE", "message": "There are no results for scope '" + scope + "' on this page."}
	}
	out := map[string]any{"kind": "compute#" + kind + "AggregatedList", "id": "projects/" + f.Project + "/aggregated/" + kind,
		"items": map[string]any{scope: scoped, "zones/europe-west1-b": map[string]any{"warning": map[string]any{
			"code": "NO_RESULTS_ON_PAGE", "message": "There are no results for scope 'zones/europe-west1-b' on this page."}}}}
	if next != "" {
		out["nextPageToken"] = next
	}
	writeJSON(w, out)
}
