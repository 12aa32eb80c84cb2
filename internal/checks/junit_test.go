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
	{Name: "service", Kind: "ssh", Attempts: 1,
		Message: "failed on attempt 1, not retried: host key mismatch for 127.0.0.1:2222: got SHA256:abc, want SHA256:def"},
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

// gossResults cover goss checks: passed, failed with assertions (one skipped, two named
// alike), failed with every assertion skipped, and failed before goss ran.
var gossResults = []Result{
	{Name: "goss", Kind: "goss", Passed: true, Attempts: 1, Duration: 2 * time.Second,
		Message: "passed on attempt 1: goss root@127.0.0.1:2222: 2 assertions passed",
		Assertions: []Assertion{
			{Name: "File /etc/hostname exists", Passed: true, Message: "File: /etc/hostname: exists: matches expectation: true", Duration: time.Millisecond},
			{Name: "Service kiln-demo running", Passed: true, Message: "Service: kiln-demo: running: matches expectation: true", Duration: 2 * time.Millisecond},
		}},
	{Name: "goss-dev", Kind: "goss", Attempts: 3, Duration: 4 * time.Second,
		Message: "gave up after 3 attempts in 4s: goss root@127.0.0.1:2222: 2 of 4 assertions failed: Port tcp:8080 listening, Port tcp:8080 listening",
		Assertions: []Assertion{
			{Name: "File /etc/hostname exists", Passed: true, Message: "File: /etc/hostname: exists: matches expectation: true"},
			{Name: "Port tcp:8080 listening", Message: "Port: tcp:8080: listening:\nExpected\n    false\nto equal\n    true"},
			{Name: "Port tcp:8080 listening", Message: "Port: tcp:8080: listening:\nExpected\n    false\nto equal\n    true"},
			{Name: "Service cron running", Passed: true, Skipped: true, Message: "Service: cron: running: skipped"},
		}},
	{Name: "goss-skipped", Kind: "goss", Attempts: 1, Duration: time.Second,
		Message:    "failed on attempt 1, not retried: goss root@127.0.0.1:2222: no assertion passed: all 1 were skipped",
		Assertions: []Assertion{{Name: "File /x exists", Passed: true, Skipped: true, Message: "File: /x: exists: skipped"}}},
	{Name: "goss-down", Kind: "goss", Attempts: 2, Duration: 2 * time.Second,
		Message: "gave up after 2 attempts in 2s: goss root@127.0.0.1:2222: connection refused"},
}

func TestWriteJUnitGoss(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, "kiln-test", gossResults, junitTime); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "junit-goss.golden.xml")
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
	var p struct {
		Suite struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Skipped  int `xml:"skipped,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range p.Suite.Cases {
		mark := "+"
		if c.Failure != nil {
			mark = "-"
		} else if c.Skipped != nil {
			mark = "s"
		}
		got = append(got, mark+" "+c.Name)
	}
	want2 := []string{
		"+ goss: File /etc/hostname exists", "+ goss: Service kiln-demo running",
		"+ goss-dev: File /etc/hostname exists", "- goss-dev: Port tcp:8080 listening", "- goss-dev: Port tcp:8080 listening (2)", "s goss-dev: Service cron running",
		"s goss-skipped: File /x exists", "- goss-skipped",
		"- goss-down",
	}
	if strings.Join(got, "\n") != strings.Join(want2, "\n") || p.Suite.Tests != 9 || p.Suite.Failures != 4 || p.Suite.Skipped != 2 {
		t.Errorf("testcases (tests %d failures %d skipped %d):\n%s\nwant (9, 4, 2):\n%s",
			p.Suite.Tests, p.Suite.Failures, p.Suite.Skipped, strings.Join(got, "\n"), strings.Join(want2, "\n"))
	}
}
