package registry

import (
	"maps"
	"slices"
)

// Uses says which images something uses, and which images' use could not be determined.
// The zero value is empty and ready to use.
type Uses struct {
	By      map[string][]string // image id -> what uses it: "instance i-0abc", "environment prod: aws_launch_template.web"
	Unknown map[string][]string // image id -> why its use could not be determined
}

// Add records that user uses image id.
func (u *Uses) Add(id, user string) {
	if u.By == nil {
		u.By = map[string][]string{}
	}
	for _, x := range u.By[id] {
		if x == user {
			return
		}
	}
	u.By[id] = append(u.By[id], user)
}

// AddUnknown records that the use of image id could not be determined, and why.
func (u *Uses) AddUnknown(id, why string) {
	if u.Unknown == nil {
		u.Unknown = map[string][]string{}
	}
	for _, x := range u.Unknown[id] {
		if x == why {
			return
		}
	}
	u.Unknown[id] = append(u.Unknown[id], why)
}

// UnknownAll records that the use of every image could not be determined, and why.
func (u *Uses) UnknownAll(images []Image, why string) {
	for _, img := range images {
		u.AddUnknown(img.ID, why)
	}
}

// Merge adds everything o records to u.
func (u *Uses) Merge(o Uses) {
	for _, id := range slices.Sorted(maps.Keys(o.By)) {
		for _, by := range o.By[id] {
			u.Add(id, by)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(o.Unknown)) {
		for _, why := range o.Unknown[id] {
			u.AddUnknown(id, why)
		}
	}
}

// Matcher finds images by any of the strings that name them (ID and Refs).
type Matcher map[string]string

// NewMatcher indexes images by their id and refs.
func NewMatcher(images []Image) Matcher {
	m := Matcher{}
	for _, img := range images {
		m[img.ID] = img.ID
		for _, r := range img.Refs {
			m[r] = img.ID
		}
	}
	return m
}

// Match returns the id of the image s names, if any.
func (m Matcher) Match(s string) (string, bool) {
	id, ok := m[s]
	return id, ok
}
