package checks

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// maxFacts is how much of a facts answer (JSON or the script's output) an attempt reads.
const maxFacts = 1 << 20

// Immutable is an immutability check: it reads the machine's Facts, from the facts endpoint
// URL (GET URL?services=a,b, JSON) or, when URL is empty, over SSH by running FactsScript with
// sh, and passes when they show what an immutable server must (see Problems).
type Immutable struct {
	URL string
	SSH *SSHTarget // used when URL is empty
	// ReadOnlyRoot asks for the root file system mounted read-only.
	ReadOnlyRoot bool
	// ServicesOff are systemd units that must be neither enabled nor running.
	ServicesOff []string
	// PackagesUnchanged asks for the package list the image was baked with: the facts'
	// packages digest must be BakedPackages, the record's image packages digest.
	PackagesUnchanged bool
	BakedPackages     string
}

// Facts are what a machine tells about itself, the same from a facts endpoint (this JSON)
// and from FactsScript's output (ParseFacts).
type Facts struct {
	RootReadOnly   bool                    `json:"root_read_only"`
	RootOptions    string                  `json:"root_options"` // the mount options of / ("ro,relatime")
	Services       map[string]ServiceState `json:"services"`     // by the name asked for
	PackagesDigest string                  `json:"packages_digest"`
	PackageManager string                  `json:"package_manager"` // dpkg, rpm or none
}

// ServiceState is what `systemctl is-enabled` and `systemctl is-active` print for a unit;
// a unit that does not exist is "not-found" and "inactive".
type ServiceState struct {
	Enabled string `json:"enabled"`
	Active  string `json:"active"`
}

// The unit states that leave a service off: not started at boot, and not running.
var (
	offEnabled = map[string]bool{"disabled": true, "masked": true, "masked-runtime": true, "not-found": true,
		"static": true, "indirect": true, "": true}
	onActive = map[string]bool{"active": true, "activating": true, "reloading": true, "refreshing": true, "deactivating": true}
)

// serviceName is a unit name FactsScript may put in its script and a URL in its query.
var serviceName = regexp.MustCompile(`^[A-Za-z0-9@_][A-Za-z0-9@._-]*$`)

var packagesDigestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// NoBakedDigest is the failure of a check that compares packages with a record that has
// no packages digest.
const NoBakedDigest = `the record has no packages digest: the Packer template must print "kiln-fact packages_digest sha256:<hex>" (see docs)`

// PackagesDigest is kiln's digest of a package list, the same at bake time and on the
// machine: "sha256:" and the hex SHA-256 of the lines "name version arch", each followed by
// "\n", sorted bytewise (as `LC_ALL=C sort` does). lines are the lines of
// `dpkg-query -W -f '${Package} ${Version} ${Architecture}\n'` or
// `rpm -qa --qf '%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n'` without their newline; empty
// lines (which neither command prints) are skipped. So on a dpkg machine it equals
// "sha256:" + the first word of `dpkg-query ... | LC_ALL=C sort | sha256sum`.
func PackagesDigest(lines []string) string {
	sorted := make([]string, 0, len(lines))
	for _, l := range lines {
		if l != "" {
			sorted = append(sorted, l)
		}
	}
	sort.Strings(sorted) // Go compares strings bytewise
	h := sha256.New()
	for _, l := range sorted {
		io.WriteString(h, l+"\n")
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Problems returns what keeps f from being the immutable machine m asks for, one line each;
// none when it is.
func (m Immutable) Problems(f Facts) []string {
	var out []string
	if m.ReadOnlyRoot && !f.rootReadOnly() {
		if f.RootOptions == "" {
			out = append(out, "root file system is not mounted read-only (the facts give no mount options for /)")
		} else {
			out = append(out, fmt.Sprintf("root file system is mounted read-write (%s)", clip(f.RootOptions)))
		}
	}
	for _, name := range m.ServicesOff {
		st, ok := f.Services[name]
		if !ok {
			out = append(out, fmt.Sprintf("the facts name no state for service %s", name))
			continue
		}
		if p := st.problem(name); p != "" {
			out = append(out, p)
		}
	}
	if m.PackagesUnchanged {
		if p := m.packagesProblem(f); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (f Facts) rootReadOnly() bool {
	if f.RootReadOnly {
		return true
	}
	for _, o := range strings.Split(f.RootOptions, ",") {
		if o == "ro" {
			return true
		}
	}
	return false
}

// problem says how service name is on; "" when it is off.
func (s ServiceState) problem(name string) string {
	enabled, active := !offEnabled[s.Enabled], onActive[s.Active]
	var states []string
	if enabled && s.Enabled != "enabled" {
		states = append(states, s.Enabled)
	}
	if active && s.Active != "active" {
		states = append(states, s.Active)
	}
	detail := ""
	if len(states) > 0 {
		detail = " (" + clip(strings.Join(states, ", ")) + ")"
	}
	switch {
	case enabled && active:
		return "service " + name + " is enabled and active" + detail
	case enabled:
		return "service " + name + " is enabled" + detail
	case active:
		return "service " + name + " is active" + detail
	}
	return ""
}

func (m Immutable) packagesProblem(f Facts) string {
	switch {
	case m.BakedPackages == "":
		return NoBakedDigest
	case f.PackageManager == "none" || (f.PackageManager == "" && f.PackagesDigest == ""):
		return "the machine has no package manager kiln reads (dpkg or rpm): its packages cannot be compared with the bake"
	case f.PackagesDigest == "":
		return fmt.Sprintf("the machine reported no packages digest (package manager %s)", clip(f.PackageManager))
	case !packagesDigestRE.MatchString(f.PackagesDigest):
		return fmt.Sprintf("the machine reported a malformed packages digest %q", clip(f.PackagesDigest))
	case f.PackagesDigest != m.BakedPackages:
		return fmt.Sprintf("packages changed since the bake: %s now, %s at bake", shortDigest(f.PackagesDigest), shortDigest(m.BakedPackages))
	}
	return ""
}

// shortDigest keeps the first 12 hex digits of a digest.
func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12] + "..."
	}
	return d
}

// clip cuts a value the machine reported for a message: one line, 80 bytes at most.
func clip(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// note is an attempt's success message: what the facts showed.
func (m Immutable) note(f Facts) string {
	var parts []string
	switch {
	case m.ReadOnlyRoot && f.RootOptions != "":
		parts = append(parts, "root read-only ("+clip(f.RootOptions)+")")
	case m.ReadOnlyRoot:
		parts = append(parts, "root read-only")
	}
	if len(m.ServicesOff) > 0 {
		parts = append(parts, plural(len(m.ServicesOff), "service")+" off")
	}
	if m.PackagesUnchanged {
		parts = append(parts, "packages as baked ("+f.PackageManager+" "+shortDigest(f.PackagesDigest)+")")
	}
	return strings.Join(parts, ", ")
}

// immutableAttempt returns one attempt at the immutable check m: read the facts, judge them.
// A record without a packages digest fails the check at once: no attempt can fix it.
func (r *Runner) immutableAttempt(m Immutable) (attemptFunc, error) {
	if m.PackagesUnchanged && m.BakedPackages == "" {
		return nil, errors.New(NoBakedDigest)
	}
	if m.PackagesUnchanged && !packagesDigestRE.MatchString(m.BakedPackages) {
		return nil, fmt.Errorf("the record's packages digest %q is not sha256:<64 hex digits>", clip(m.BakedPackages))
	}
	for _, s := range m.ServicesOff {
		if !serviceName.MatchString(s) {
			return nil, fmt.Errorf("%q is not a systemd unit name", s)
		}
	}
	var read func(ctx context.Context) (Facts, error)
	switch {
	case m.URL != "":
		u, err := factsURL(m.URL, m.ServicesOff)
		if err != nil {
			return nil, err
		}
		read = r.httpFacts(u)
	case m.SSH != nil:
		c, err := r.prepare("immutable", *m.SSH)
		if err != nil {
			return nil, err
		}
		read = sshFacts(c, FactsScript(m.ServicesOff))
	default:
		return nil, errors.New("immutable: no facts URL and no SSH target")
	}
	return func(ctx context.Context) (string, error) {
		f, err := read(ctx)
		if err != nil {
			return "", err
		}
		if p := m.Problems(f); len(p) > 0 {
			return "", errors.New(strings.Join(p, "; "))
		}
		return m.note(f), nil
	}, nil
}

// factsURL is raw with services=a,b added to its query, once raw proves an http(s) URL.
func factsURL(raw string, services []string) (string, error) {
	if err := (HTTP{URL: raw}).validate(); err != nil {
		return "", err
	}
	u, _ := url.Parse(raw) // validate parsed it
	// Unit names need no escaping in a query.
	q := "services=" + strings.Join(services, ",")
	if u.RawQuery != "" {
		q = u.RawQuery + "&" + q
	}
	u.RawQuery = q
	return u.String(), nil
}

// httpFacts returns a reader of the facts at u: GET, status 200, JSON.
func (r *Runner) httpFacts(u string) func(ctx context.Context) (Facts, error) {
	target := "GET " + redactURL(u)
	client := r.httpClient()
	return func(ctx context.Context) (Facts, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return Facts{}, fmt.Errorf("%s: %w", target, err)
		}
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return Facts{}, fmt.Errorf("%s: %s", target, reason(err))
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxFacts+1))
		switch {
		case resp.StatusCode != http.StatusOK:
			return Facts{}, fmt.Errorf("%s: status %d, want 200", target, resp.StatusCode)
		case err != nil:
			return Facts{}, fmt.Errorf("%s: reading the facts: %s", target, reason(err))
		case len(body) > maxFacts:
			return Facts{}, fmt.Errorf("%s: the facts are larger than 1 MiB", target)
		}
		var f Facts
		if err := json.Unmarshal(body, &f); err != nil {
			return Facts{}, fmt.Errorf("%s: the answer (%s) is not facts JSON: %s", target, bodySize(len(body)), clip(err.Error()))
		}
		return f, nil
	}
}

// sshFacts returns a reader of the facts that runs script with sh over SSH.
func sshFacts(c *sshConn, script string) func(ctx context.Context) (Facts, error) {
	return func(ctx context.Context) (Facts, error) {
		client, err := c.connect(ctx)
		if err != nil {
			return Facts{}, err
		}
		defer client.Close()
		// The script goes over stdin to sh, whatever the user's login shell is.
		out, err := runCommand(ctx, client, "sh -s", strings.NewReader(script), maxFacts)
		switch {
		case err != nil:
			return Facts{}, fmt.Errorf("%s: facts script: %w", c.who, err)
		case out.signal != "":
			return Facts{}, fmt.Errorf("%s: the facts script was killed by signal %s%s", c.who, out.signal, out.excerpt())
		case out.code != 0:
			return Facts{}, fmt.Errorf("%s: the facts script exited %d%s", c.who, out.code, out.excerpt())
		}
		f, err := ParseFacts(out.stdout.Bytes())
		if err != nil {
			return Facts{}, fmt.Errorf("%s: %w%s", c.who, err, out.excerpt())
		}
		return f, nil
	}
}

// factsHeader starts FactsScript's output; what a login shell prints before it is skipped.
const factsHeader = "kiln-facts 1"

// FactsScript returns the POSIX sh script that prints a machine's facts, one "key value"
// line each, for ParseFacts: the options of the last mount on / in /proc/mounts,
// `systemctl is-enabled` and `systemctl is-active` of each service (a unit that does not
// exist, or no systemctl, reads as not-found and inactive), and the packages digest of
// PackagesDigest computed with dpkg-query or rpm, sort and sha256sum. services must be unit
// names (letters, digits, @ . _ -); any other is left out.
func FactsScript(services []string) string {
	var b strings.Builder
	b.WriteString(`LC_ALL=C
export LC_ALL
PATH=$PATH:/usr/sbin:/usr/bin:/sbin:/bin
echo '` + factsHeader + `'
root=
if [ -r /proc/mounts ]; then
	while read -r dev mnt fs opts rest; do
		if [ "$mnt" = / ]; then root=$opts; fi
	done < /proc/mounts
fi
echo "root_options $root"
systemd=
if command -v systemctl >/dev/null 2>&1; then systemd=1; fi
`)
	var quoted []string
	for _, s := range services {
		if serviceName.MatchString(s) {
			quoted = append(quoted, "'"+s+"'")
		}
	}
	if len(quoted) > 0 {
		b.WriteString(`for s in ` + strings.Join(quoted, " ") + `; do
	e=
	a=
	if [ -n "$systemd" ]; then
		e=$(systemctl is-enabled "$s" 2>/dev/null)
		a=$(systemctl is-active "$s" 2>/dev/null)
	fi
	e=${e%%[!A-Za-z0-9_-]*}
	a=${a%%[!A-Za-z0-9_-]*}
	echo "service $s ${e:-not-found} ${a:-inactive}"
done
`)
	}
	b.WriteString(`if command -v dpkg-query >/dev/null 2>&1; then
	pm=dpkg
	list() { dpkg-query -W -f '${Package} ${Version} ${Architecture}\n'; }
elif command -v rpm >/dev/null 2>&1; then
	pm=rpm
	list() { rpm -qa --qf '%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n'; }
else
	pm=none
fi
echo "package_manager $pm"
if [ "$pm" != none ] && command -v sha256sum >/dev/null 2>&1; then
	d=$(list 2>/dev/null | LC_ALL=C sort | sha256sum)
	echo "packages_digest sha256:${d%% *}"
fi
echo end
`)
	return b.String()
}

// ParseFacts reads FactsScript's output. Lines before its header (a login banner) and
// lines of unknown keys are skipped; output without the header or the final "end" line is
// an error.
func ParseFacts(out []byte) (Facts, error) {
	f := Facts{Services: map[string]ServiceState{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 4096), maxFacts)
	started, ended := false, false
	for sc.Scan() && !ended {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if !started {
			started = line == factsHeader
			continue
		}
		key, value, _ := strings.Cut(line, " ")
		switch key {
		case "root_options":
			f.RootOptions = value
		case "service":
			fields := strings.Fields(value)
			if len(fields) != 3 {
				return Facts{}, fmt.Errorf("facts script: malformed line %q", clip(line))
			}
			f.Services[fields[0]] = ServiceState{Enabled: fields[1], Active: fields[2]}
		case "package_manager":
			f.PackageManager = value
		case "packages_digest":
			f.PackagesDigest = value
		case "end":
			ended = true
		}
	}
	switch {
	case !started:
		return Facts{}, errors.New("the facts script printed no facts (is sh there?)")
	case !ended:
		return Facts{}, errors.New("the facts script's output ended early")
	}
	f.RootReadOnly = f.rootReadOnly()
	return f, nil
}
