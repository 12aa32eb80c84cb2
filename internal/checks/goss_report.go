package checks

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// The result codes of goss's JSON report (resource/validate.go in goss).
const (
	gossSuccess = 0
	gossFail    = 1
	gossSkip    = 2
)

// gossReport is the part of `goss validate --format json` kiln reads.
type gossReport struct {
	Results []struct {
		ResourceType string `json:"resource-type"`
		ResourceID   string `json:"resource-id"`
		Property     string `json:"property"`
		Result       *int   `json:"result"`
		SummaryLine  string `json:"summary-line"`
		Duration     int64  `json:"duration"` // nanoseconds
	} `json:"results"`
	Summary *struct {
		TestCount int `json:"test-count"`
	} `json:"summary"`
}

// parseGossReport reads goss's JSON report into one Assertion per result, sorted by name
// (goss checks resources concurrently, so its own order varies from run to run).
func parseGossReport(data []byte) ([]Assertion, error) {
	var rep gossReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return nil, fmt.Errorf("decode goss report: %w", err)
	}
	if rep.Summary == nil {
		return nil, errors.New("decode goss report: no summary")
	}
	out := make([]Assertion, 0, len(rep.Results))
	for _, r := range rep.Results {
		if r.Result == nil || *r.Result < gossSuccess || *r.Result > gossSkip {
			return nil, fmt.Errorf("decode goss report: %s %s %s has no known result", r.ResourceType, r.ResourceID, r.Property)
		}
		out = append(out, Assertion{
			Name:     strings.Join([]string{r.ResourceType, r.ResourceID, r.Property}, " "),
			Passed:   *r.Result == gossSuccess,
			Skipped:  *r.Result == gossSkip,
			Message:  r.SummaryLine,
			Duration: time.Duration(r.Duration),
		})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// verdict passes a goss run with at least one passed assertion and no failed one. A
// gossfile without assertions, or whose every assertion is skipped, fails for good: it
// would vouch for any image.
func verdict(who string, as []Assertion) (string, error) {
	var failed []string
	skipped := 0
	for _, a := range as {
		switch {
		case a.Skipped:
			skipped++
		case !a.Passed:
			failed = append(failed, a.Name)
		}
	}
	if len(as) == 0 {
		return "", permanent(fmt.Errorf("%s: the gossfile has no assertions", who))
	}
	if skipped == len(as) {
		return "", permanent(fmt.Errorf("%s: no assertion passed: all %d were skipped", who, len(as)))
	}
	if len(failed) > 0 {
		names := failed
		if len(names) > 3 {
			names = append(names[:3:3], fmt.Sprintf("and %d more", len(failed)-3))
		}
		return "", fmt.Errorf("%s: %d of %s failed: %s", who, len(failed), plural(len(as), "assertion"), strings.Join(names, ", "))
	}
	note := fmt.Sprintf("%s: %s passed", who, plural(len(as)-skipped, "assertion"))
	if skipped > 0 {
		note += fmt.Sprintf(", %d skipped", skipped)
	}
	return note, nil
}
