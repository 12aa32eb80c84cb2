package ci

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSection(t *testing.T) {
	clock := func() func() time.Time {
		n := 0
		return func() time.Time { n++; return t0.Add(time.Duration(n-1) * 83 * time.Second) }
	}
	for _, tc := range []struct {
		vars map[string]string
		err  error
		want []string // regular expressions, one per line
	}{
		{map[string]string{"GITLAB_CI": "true"}, nil, []string{
			`^\x1b\[0Ksection_start:1795257000:kiln_\d+_\d+_terraform_plan__dev_\[collapsed=true\]\r\x1b\[0Kkiln-x: terraform plan \(dev\)$`,
			`^\x1b\[0Ksection_end:1795257083:kiln_\d+_\d+_terraform_plan__dev_\r\x1b\[0Kkiln-x: terraform plan \(dev\) done in 1m23s$`,
		}},
		{map[string]string{"GITHUB_ACTIONS": "true"}, errors.New("boom"), []string{
			`^::group::kiln-x: terraform plan \(dev\)$`,
			`^::endgroup::$`,
			`^kiln-x: terraform plan \(dev\) failed in 1m23s$`,
		}},
		{nil, nil, []string{
			`^kiln-x: terraform plan \(dev\) \.\.\.$`,
			`^kiln-x: terraform plan \(dev\) done in 1m23s$`,
		}},
	} {
		var log bytes.Buffer
		p := detect(tc.vars, &bytes.Buffer{})
		s := Open(p, &log, "kiln-x", "terraform plan (dev)", clock())
		s.Close(tc.err)
		lines := strings.Split(strings.TrimSuffix(log.String(), "\n"), "\n")
		if len(lines) != len(tc.want) {
			t.Errorf("%s: %q, want %d lines", p.Name(), log.String(), len(tc.want))
			continue
		}
		for i, re := range tc.want {
			if !regexp.MustCompile(re).MatchString(lines[i]) {
				t.Errorf("%s: line %d %q, want %s", p.Name(), i, lines[i], re)
			}
		}
	}
}

func TestSectionNamesUnique(t *testing.T) {
	var log bytes.Buffer
	p := detect(map[string]string{"GITLAB_CI": "true"}, &bytes.Buffer{})
	Open(p, &log, "k", "terraform init (dev)", nil).Close(nil)
	Open(p, &log, "k", "terraform init (dev)", nil).Close(nil)
	ids := regexp.MustCompile(`section_start:\d+:(\S+)\[`).FindAllStringSubmatch(log.String(), -1)
	if len(ids) != 2 || ids[0][1] == ids[1][1] {
		t.Fatalf("section names %v: want two distinct", ids)
	}
}

func TestElapsed(t *testing.T) {
	for d, want := range map[time.Duration]string{
		400 * time.Millisecond: "0.4s", 12300 * time.Millisecond: "12.3s",
		125 * time.Second: "2m05s", 62 * time.Minute: "1h02m",
	} {
		if got := Elapsed(d); got != want {
			t.Errorf("Elapsed(%s) = %s, want %s", d, got, want)
		}
	}
}
