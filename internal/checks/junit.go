package checks

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// The JUnit XML dialect written here is what both readers in view take:
//   - GitLab (artifacts:reports:junit, lib/gitlab/ci/parsers/test/junit.rb) lists each
//     testcase under its classname, keyed by classname+name (a duplicate is dropped), reads
//     time in seconds and shows the failure element's text, not its attributes, so the text
//     must carry the reason; a testcase's system-out is shown too.
//   - Jenkins (junit plugin, SuiteResult/CaseResult) takes the testsuite's name, time and
//     timestamp (ISO 8601, UTC when no zone is given), the testcase's classname (split at the
//     last dot into package and class), name and time, and the failure's message attribute
//     as "error details" and its text as the "stack trace".
// Both need valid XML: encoding/xml escapes the text and replaces characters XML forbids.

// FailureType is the type attribute of every failure element.
const FailureType = "CheckFailed"

// DefaultSuite is the suite name WriteJUnit uses when given none.
const DefaultSuite = "kiln-test"

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

type junitFailure struct {
	Message string
	Type    string
	Text    string
}

// MarshalXML writes the failure with its text's line breaks as they are (a chardata field
// would write each as &#xA;), so the report stays readable.
func (f junitFailure) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Attr = []xml.Attr{
		{Name: xml.Name{Local: "message"}, Value: f.Message},
		{Name: xml.Name{Local: "type"}, Value: f.Type},
	}
	for _, t := range []xml.Token{start, xml.CharData(f.Text), start.End()} {
		if err := e.EncodeToken(t); err != nil {
			return err
		}
	}
	return nil
}

// WriteJUnit writes results to w as a JUnit XML report: one testsuite named suite (the
// classname of every testcase; DefaultSuite when empty) and one testcase per result, with a
// failure element for each result that did not pass; a result with goss assertions is one
// testcase per assertion instead, named "<check>: <resource type> <id> <property>".
// timestamp is when the run started.
func WriteJUnit(w io.Writer, suite string, results []Result, timestamp time.Time) error {
	if suite == "" {
		suite = DefaultSuite
	}
	s := junitSuite{Name: suite, Timestamp: timestamp.UTC().Format("2006-01-02T15:04:05")}
	var total time.Duration
	for _, r := range results {
		total += r.Duration
		if len(r.Assertions) > 0 {
			s.Cases = append(s.Cases, assertionCases(suite, r)...)
			continue
		}
		c := junitCase{Classname: suite, Name: r.Name, Time: seconds(r.Duration)}
		if r.Passed {
			c.SystemOut = r.Message
		} else {
			c.Failure = &junitFailure{Message: r.Message, Type: FailureType, Text: failureText(r)}
		}
		s.Cases = append(s.Cases, c)
	}
	for _, c := range s.Cases {
		switch {
		case c.Failure != nil:
			s.Failures++
		case c.Skipped != nil:
			s.Skipped++
		}
	}
	s.Tests = len(s.Cases)
	s.Time = seconds(total)
	doc := junitSuites{Name: suite, Tests: s.Tests, Failures: s.Failures, Time: s.Time, Suites: []junitSuite{s}}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode junit report: %w", err)
	}
	if _, err := io.WriteString(w, xml.Header+string(out)+"\n"); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

// assertionCases are the testcases of the goss assertions of r: a failed one carries goss's
// summary of it and the check's outcome; a passed one, goss's summary as its output. A
// failed check none of whose assertions failed (all were skipped) gets its own testcase
// too, so the report never shows it as passed.
func assertionCases(suite string, r Result) []junitCase {
	cases := make([]junitCase, 0, len(r.Assertions)+1)
	seen := map[string]int{}
	failed := false
	for _, a := range r.Assertions {
		name := r.Name + ": " + a.Name
		if seen[name]++; seen[name] > 1 { // GitLab drops a testcase whose name repeats
			name = fmt.Sprintf("%s (%d)", name, seen[name])
		}
		c := junitCase{Classname: suite, Name: name, Time: seconds(a.Duration)}
		first := strings.Join(strings.Fields(a.Message), " ") // goss's summary on one line
		switch {
		case a.Skipped:
			c.Skipped = &junitSkipped{Message: first}
		case a.Passed:
			c.SystemOut = a.Message
		default:
			failed = true
			c.Failure = &junitFailure{Message: first, Type: FailureType,
				Text: a.Message + "\n\ncheck " + r.Name + ": " + failureText(r)}
		}
		cases = append(cases, c)
	}
	if !r.Passed && !failed {
		cases = append(cases, junitCase{Classname: suite, Name: r.Name, Time: seconds(r.Duration),
			Failure: &junitFailure{Message: r.Message, Type: FailureType, Text: failureText(r)}})
	}
	return cases
}

// failureText is the failure element's text: the reason first, as GitLab shows only this
// text, then the counts.
func failureText(r Result) string {
	return fmt.Sprintf("%s\n\nkind: %s\nattempts: %d\nduration: %s",
		r.Message, r.Kind, r.Attempts, roundDuration(r.Duration))
}

// seconds formats d as JUnit wants it: seconds with a decimal point, no unit.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}
