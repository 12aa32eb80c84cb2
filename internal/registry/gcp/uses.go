package gcp

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/api/compute/v1"

	"github.com/kiln-ci/kiln/internal/registry"
)

// Uses finds which of images the project uses: the source image of every attached disk
// (an instance runs from it), of every instance template's disks, and of the templates of
// every managed instance group. A listing that fails leaves every image's use unknown.
func (r *Registry) Uses(ctx context.Context, images []registry.Image) (registry.Uses, error) {
	var u registry.Uses
	m := map[string]string{} // projects/P/global/images/N -> id
	for _, img := range images {
		m[imageKey(r.project, img.ID)] = img.ID
	}
	match := func(source string) (string, bool) {
		id, ok := m[imageKey(r.project, source)]
		return id, ok
	}
	err := r.svc.Disks.AggregatedList(r.project).MaxResults(PageSize).Pages(ctx, func(page *compute.DiskAggregatedList) error {
		for _, scoped := range page.Items {
			for _, d := range scoped.Disks {
				if id, ok := match(d.SourceImage); ok && len(d.Users) > 0 {
					for _, user := range d.Users {
						u.Add(id, "instance "+lastPart(user)+" (disk "+d.Name+")")
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		u.UnknownAll(images, "listing disks failed: "+apiError(err, r.project, "list disks of project").Error())
		return u, nil
	}
	templates, err := r.templates(ctx, match, &u)
	if err != nil {
		u.UnknownAll(images, "listing instance templates failed: "+err.Error())
		return u, nil
	}
	err = r.svc.InstanceGroupManagers.AggregatedList(r.project).MaxResults(PageSize).Pages(ctx, func(page *compute.InstanceGroupManagerAggregatedList) error {
		for _, scoped := range page.Items {
			for _, g := range scoped.InstanceGroupManagers {
				groupUses(g, templates, images, &u)
			}
		}
		return nil
	})
	if err != nil {
		u.UnknownAll(images, "listing managed instance groups failed: "+apiError(err, r.project, "list instance groups of project").Error())
	}
	return u, nil
}

// templates records the uses of every instance template (global and regional) and returns
// each template's images, by self link.
func (r *Registry) templates(ctx context.Context, match func(string) (string, bool), u *registry.Uses) (map[string][]string, error) {
	out := map[string][]string{}
	err := r.svc.InstanceTemplates.AggregatedList(r.project).MaxResults(PageSize).Pages(ctx, func(page *compute.InstanceTemplateAggregatedList) error {
		for _, scoped := range page.Items {
			for _, t := range scoped.InstanceTemplates {
				out[templateKey(t.SelfLink)] = nil
				if t.Properties == nil {
					continue
				}
				for _, d := range t.Properties.Disks {
					if d.InitializeParams == nil {
						continue
					}
					if id, ok := match(d.InitializeParams.SourceImage); ok {
						u.Add(id, "instance template "+t.Name)
						out[templateKey(t.SelfLink)] = append(out[templateKey(t.SelfLink)], id)
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, apiError(err, r.project, "list instance templates of project")
	}
	return out, nil
}

// groupUses records the images of the templates a group runs; a template kiln could not
// read leaves every image's use unknown.
func groupUses(g *compute.InstanceGroupManager, templates map[string][]string, images []registry.Image, u *registry.Uses) {
	links := []string{g.InstanceTemplate}
	for _, v := range g.Versions {
		links = append(links, v.InstanceTemplate)
	}
	for _, l := range links {
		if l == "" {
			continue
		}
		ids, ok := templates[templateKey(l)]
		if !ok {
			u.UnknownAll(images, fmt.Sprintf("group %s runs template %s, which was not listed", g.Name, lastPart(l)))
			continue
		}
		for _, id := range ids {
			u.Add(id, "group "+g.Name+" (template "+lastPart(l)+")")
		}
	}
}

// imageKey is the canonical projects/P/global/images/N of an image reference: a name, a
// global/images/N or projects/... path, or a self link. A family reference
// (images/family/F) follows the family and names no image.
func imageKey(project, ref string) string {
	if ref == "" || strings.Contains(ref, "/images/family/") {
		return ""
	}
	if i := strings.Index(ref, "projects/"); i >= 0 {
		return ref[i:]
	}
	return "projects/" + project + "/global/images/" + name(ref)
}

// templateKey is the projects/... part of a template's self link, without the
// ?uniqueId= of a self_link_unique.
func templateKey(link string) string {
	link, _, _ = strings.Cut(link, "?")
	if i := strings.Index(link, "projects/"); i >= 0 {
		return link[i:]
	}
	return link
}

// lastPart is the last part of a URL or path.
func lastPart(link string) string { return link[strings.LastIndex(link, "/")+1:] }
