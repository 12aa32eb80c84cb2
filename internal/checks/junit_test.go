package checks

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// junitResults covers a pass, a failure, an interruption and text XML must escape.
var junitResults = []Result{
	{Name: "health", Kind: "http", Passed: true, Attempts: 3, Duration: 4210 * time.Millisecond,
		Message: "passed on attempt 3: GET http://127.0.0.1:8080/healthz: status 200, body contains \"ok\""},
	{Name: "ssh port", Kind: "tcp", Attempts: 5, Duration: 2 * time.Minute,
		Message: "gave up after 5 attempts in 2m0s: tcp 127.0.0.1:2222: connection refused"},
	{Name: `body <"&'>`, Kind: "http", Attempts: 1, Duration: 1500 * time.Millisecond,
		Message: "interrupted after 1 attempt; last failure: GET http://127.0.0.1/?a=1&b=2: status 200, body (3 bytes) does not contain \"<ok>\"\x1b\nsecond line"},
	{Name: "later", Kind: "ssh", Message: "kind ssh is not implemented yet"},
}

var junitTime = time.Date(2026, 11, 21, 11, 30, 5, 0, time.FixedZone("CET", 3600))

func TestWriteJUnitGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, "kiln-test.dev", junitResults, junitTime); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "junit.golden.xml")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("WriteJUnit output differs from %s (go test -update rewrites it):\n%s", golden, buf.String())
	}
}

// parsed is what a reader such as GitLab or Jenkins takes from the report.
type parsed struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []struct {
		Name      string `xml:"name,attr"`
		Tests     int    `xml:"tests,attr"`
		Failures  int    `xml:"failures,attr"`
		Errors    int    `xml:"errors,attr"`
		Time      string `xml:"time,attr"`
		Timestamp string `xml:"timestamp,attr"`
		Cases     []struct {
			Classname string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestWriteJUnitParsesBack(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, "", junitResults, junitTime); err != nil {
		t.Fatal(err)
	}
	var p parsed
	if err := xml.Unmarshal(buf.Bytes(), &p); err != nil {
		t.Fatalf("report does not parse: %v\n%s", err, buf.String())
	}
	if p.Tests != 4 || p.Failures != 3 || p.Time != "125.710" || len(p.Suites) != 1 {
		t.Fatalf("testsuites: got %+v", p)
	}
	s := p.Suites[0]
	if s.Name != DefaultSuite || s.Tests != 4 || s.Failures != 3 || s.Errors != 0 ||
		s.Time != "125.710" || s.Timestamp != "2026-11-21T10:30:05" || len(s.Cases) != 4 {
		t.Fatalf("testsuite: got name %q tests %d failures %d errors %d time %s timestamp %s cases %d",
			s.Name, s.Tests, s.Failures, s.Errors, s.Time, s.Timestamp, len(s.Cases))
	}
	for i, c := range s.Cases {
		r := junitResults[i]
		if c.Classname != DefaultSuite || c.Name != r.Name {
			t.Errorf("case %d: classname %q name %q, want %q %q", i, c.Classname, c.Name, DefaultSuite, r.Name)
		}
		if r.Passed {
			if c.Failure != nil || c.SystemOut != r.Message {
				t.Errorf("case %d: passed check has failure %v, system-out %q", i, c.Failure, c.SystemOut)
			}
			continue
		}
		// XML cannot carry ESC: encoding/xml writes U+FFFD instead.
		wantMsg := strings.ReplaceAll(r.Message, "\x1b", "\uFFFD")
		if c.Failure == nil || c.Failure.Message != wantMsg || c.Failure.Type != FailureType ||
			!strings.HasPrefix(c.Failure.Text, wantMsg+"\n\n") {
			t.Errorf("case %d: failure %+v, want message %q", i, c.Failure, wantMsg)
		}
	}
	if got := s.Cases[0].Time; got != "4.210" {
		t.Errorf("case time %q, want seconds with a decimal point", got)
	}
}

func TestWriteJUnitEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, "s", nil, junitTime); err != nil {
		t.Fatal(err)
	}
	var p parsed
	if err := xml.Unmarshal(buf.Bytes(), &p); err != nil || p.Tests != 0 || len(p.Suites) != 1 {
		t.Errorf("empty report: %v %+v\n%s", err, p, buf.String())
	}
}
