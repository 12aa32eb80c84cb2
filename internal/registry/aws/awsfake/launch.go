package awsfake

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

func (f *Fake) describeTemplates(w http.ResponseWriter, q request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	max, _ := strconv.Atoi(q.form.Get("MaxResults"))
	items, next := page(slices.Sorted(maps.Keys(f.templates)), q.form.Get("NextToken"), max, f.PageSize)
	var b strings.Builder
	b.WriteString("<launchTemplates>")
	for _, id := range items {
		t := f.templates[id]
		fmt.Fprintf(&b, "<item><launchTemplateId>%s</launchTemplateId><launchTemplateName>%s</launchTemplateName>"+
			"<createTime>2026-01-01T00:00:00.000Z</createTime><createdBy>arn:aws:iam::123456789012:root</createdBy>"+
			"<defaultVersionNumber>1</defaultVersionNumber><latestVersionNumber>%d</latestVersionNumber></item>", id, esc(t.name), len(t.versions))
	}
	b.WriteString("</launchTemplates>")
	if next != "" {
		b.WriteString("<nextToken>" + next + "</nextToken>")
	}
	respond(w, q.action, b.String())
}

func (f *Fake) describeVersions(w http.ResponseWriter, q request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := q.form.Get("LaunchTemplateId")
	t, ok := f.templates[id]
	if !ok {
		queryError(w, http.StatusBadRequest, "InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID "+id+", does not exist.")
		return
	}
	idx := make([]string, len(t.versions))
	for i := range t.versions {
		idx[i] = strconv.Itoa(i)
	}
	max, _ := strconv.Atoi(q.form.Get("MaxResults"))
	items, next := page(idx, q.form.Get("NextToken"), max, f.PageSize)
	var b strings.Builder
	b.WriteString("<launchTemplateVersionSet>")
	for _, i := range items {
		n, _ := strconv.Atoi(i)
		fmt.Fprintf(&b, "<item><launchTemplateId>%s</launchTemplateId><launchTemplateName>%s</launchTemplateName>"+
			"<versionNumber>%d</versionNumber><defaultVersion>%t</defaultVersion><launchTemplateData><imageId>%s</imageId>"+
			"<instanceType>t3.micro</instanceType></launchTemplateData></item>", id, esc(t.name), n+1, n == 0, esc(t.versions[n]))
	}
	b.WriteString("</launchTemplateVersionSet>")
	if next != "" {
		b.WriteString("<nextToken>" + next + "</nextToken>")
	}
	respond(w, q.action, b.String())
}

// serveAutoScaling answers the Auto Scaling Query API.
func (f *Fake) serveAutoScaling(w http.ResponseWriter, q request) {
	if q.action != "DescribeLaunchConfigurations" {
		autoScalingError(w, http.StatusBadRequest, "InvalidAction", "The action "+q.action+" is not valid for this web service.")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	max, _ := strconv.Atoi(q.form.Get("MaxRecords"))
	items, next := page(slices.Sorted(maps.Keys(f.configs)), q.form.Get("NextToken"), max, min(f.PageSize, 100))
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?>` + "\n" + `<DescribeLaunchConfigurationsResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeLaunchConfigurationsResult><LaunchConfigurations>`)
	for _, n := range items {
		fmt.Fprintf(&b, "<member><LaunchConfigurationName>%s</LaunchConfigurationName><ImageId>%s</ImageId>"+
			"<InstanceType>t3.micro</InstanceType><CreatedTime>2026-01-01T00:00:00.000Z</CreatedTime></member>", esc(n), esc(f.configs[n]))
	}
	b.WriteString("</LaunchConfigurations>")
	if next != "" {
		b.WriteString("<NextToken>" + next + "</NextToken>")
	}
	b.WriteString("</DescribeLaunchConfigurationsResult><ResponseMetadata><RequestId>fake-request</RequestId></ResponseMetadata></DescribeLaunchConfigurationsResponse>")
	w.Header().Set("Content-Type", "text/xml")
	w.Write([]byte(b.String()))
}
