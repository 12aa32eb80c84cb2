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

func (f *Fake) describeImages(w http.ResponseWriter, q request) {
	filters, ids := q.filters(), q.list("ImageId")
	for name := range filters {
		if !strings.HasPrefix(name, "tag:") {
			queryError(w, http.StatusBadRequest, "InvalidParameterValue", "the fake filters images by tag only, not "+name)
			return
		}
	}
	disabled := q.form.Get("IncludeDisabled") == "true"
	f.mu.Lock()
	defer f.mu.Unlock()
	var keys []string
	for _, id := range slices.Sorted(maps.Keys(f.images)) {
		img := f.images[id]
		if img.Disabled && !disabled || len(ids) > 0 && !contains(ids, id) {
			continue
		}
		ok := true
		for name, values := range filters {
			ok = ok && contains(values, img.Tags[strings.TrimPrefix(name, "tag:")])
		}
		if ok {
			keys = append(keys, id)
		}
	}
	if len(ids) > 0 && len(keys) == 0 {
		queryError(w, http.StatusBadRequest, "InvalidAMIID.NotFound", fmt.Sprintf("The image id '[%s]' does not exist", strings.Join(ids, ", ")))
		return
	}
	max, _ := strconv.Atoi(q.form.Get("MaxResults"))
	if len(ids) > 0 {
		max = len(keys) // MaxResults does not apply to a list of ids
	}
	items, next := page(keys, q.form.Get("NextToken"), max, f.PageSize)
	var b strings.Builder
	b.WriteString("<imagesSet>")
	for _, id := range items {
		b.WriteString(imageXML(f.images[id]))
	}
	b.WriteString("</imagesSet>")
	if next != "" {
		b.WriteString("<nextToken>" + next + "</nextToken>")
	}
	respond(w, q.action, b.String())
}

func imageXML(img *Image) string {
	state := "available"
	if img.Disabled {
		state = "disabled"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<item><imageId>%s</imageId><imageLocation>123456789012/%s</imageLocation><imageState>%s</imageState>"+
		"<imageOwnerId>123456789012</imageOwnerId><creationDate>%s</creationDate><isPublic>false</isPublic>"+
		"<architecture>x86_64</architecture><imageType>machine</imageType><name>%s</name><rootDeviceType>ebs</rootDeviceType>"+
		"<rootDeviceName>/dev/xvda</rootDeviceName><virtualizationType>hvm</virtualizationType><hypervisor>xen</hypervisor>",
		esc(img.ID), esc(img.Name), state, stamp(img.Created), esc(img.Name))
	if !img.Deprecate.IsZero() {
		fmt.Fprintf(&b, "<deprecationTime>%s</deprecationTime>", stamp(img.Deprecate))
	}
	b.WriteString("<blockDeviceMapping>")
	for i, s := range img.Snapshots {
		fmt.Fprintf(&b, "<item><deviceName>/dev/xvd%c</deviceName><ebs><snapshotId>%s</snapshotId><volumeSize>8</volumeSize>"+
			"<deleteOnTermination>true</deleteOnTermination><volumeType>gp3</volumeType><encrypted>false</encrypted></ebs></item>", 'a'+i, esc(s))
	}
	b.WriteString("</blockDeviceMapping><tagSet>")
	for _, k := range slices.Sorted(maps.Keys(img.Tags)) {
		fmt.Fprintf(&b, "<item><key>%s</key><value>%s</value></item>", esc(k), esc(img.Tags[k]))
	}
	b.WriteString("</tagSet></item>")
	return b.String()
}

// image returns the AMI a request's ImageId names, or writes the error.
func (f *Fake) image(w http.ResponseWriter, id string) *Image {
	img, ok := f.images[id]
	if !ok {
		queryError(w, http.StatusBadRequest, "InvalidAMIID.NotFound", "The image id '["+id+"]' does not exist")
		return nil
	}
	return img
}

func (f *Fake) createTags(w http.ResponseWriter, q request) { f.changeTags(w, q, true) }
func (f *Fake) deleteTags(w http.ResponseWriter, q request) { f.changeTags(w, q, false) }

func (f *Fake) changeTags(w http.ResponseWriter, q request, set bool) {
	tags := q.tags()
	for k, v := range tags {
		if len(k) > 128 || len(v) > 256 || strings.HasPrefix(k, "aws:") {
			queryError(w, http.StatusBadRequest, "InvalidParameterValue", "invalid tag "+k)
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range q.list("ResourceId") {
		img := f.image(w, id)
		if img == nil {
			return
		}
		for k, v := range tags {
			if set {
				img.Tags[k] = v
			} else {
				delete(img.Tags, k)
			}
		}
	}
	respond(w, q.action, "<return>true</return>")
}

func (f *Fake) enableDeprecation(w http.ResponseWriter, q request) {
	at, err := time.Parse(time.RFC3339, q.form.Get("DeprecateAt"))
	if err != nil {
		queryError(w, http.StatusBadRequest, "InvalidParameterValue", "DeprecateAt: "+q.form.Get("DeprecateAt"))
		return
	}
	f.setImage(w, q, func(img *Image) { img.Deprecate = at.Truncate(time.Minute) })
}

func (f *Fake) disableDeprecation(w http.ResponseWriter, q request) {
	f.setImage(w, q, func(img *Image) { img.Deprecate = time.Time{} })
}
func (f *Fake) disableImage(w http.ResponseWriter, q request) {
	f.setImage(w, q, func(img *Image) { img.Disabled = true })
}
func (f *Fake) enableImage(w http.ResponseWriter, q request) {
	f.setImage(w, q, func(img *Image) { img.Disabled = false })
}

func (f *Fake) setImage(w http.ResponseWriter, q request, change func(*Image)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if img := f.image(w, q.form.Get("ImageId")); img != nil {
		change(img)
		respond(w, q.action, "<return>true</return>")
	}
}

func (f *Fake) deregister(w http.ResponseWriter, q request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if img := f.image(w, q.form.Get("ImageId")); img != nil {
		delete(f.images, img.ID)
		respond(w, q.action, "<return>true</return>")
	}
}

func (f *Fake) deleteSnapshot(w http.ResponseWriter, q request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := q.form.Get("SnapshotId")
	if !f.snapshots[id] {
		queryError(w, http.StatusBadRequest, "InvalidSnapshot.NotFound", "The snapshot '"+id+"' does not exist.")
		return
	}
	for _, img := range f.images {
		if contains(img.Snapshots, id) {
			queryError(w, http.StatusBadRequest, "InvalidSnapshot.InUse", "The snapshot "+id+" is currently in use by "+img.ID)
			return
		}
	}
	delete(f.snapshots, id)
	respond(w, q.action, "<return>true</return>")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
