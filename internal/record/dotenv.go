package record

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// kiln.env is read by three consumers, and each value must mean the same to all of them.
//
// GitLab, artifacts:reports:dotenv (Ci::ParseDotenvArtifactService in
// app/services/ci/parse_dotenv_artifact_service.rb, the dotenv docs and the issues below):
//   - the file must be smaller than the dotenv_size limit, 5 KiB by default, measured on the
//     uploaded (gzipped) artifact; it may define at most dotenv_variables variables, 20 by
//     default on self-managed instances (50/100/150 by tier on GitLab.com since
//     gitlab-org/gitlab!73855); more fails the upload with 400 Bad Request;
//   - every line must be KEY=VALUE: an empty line or a comment line fails the upload with
//     "400 Bad Request (Invalid Format)" (gitlab-org/gitlab#356650);
//   - key and value are stripped of surrounding whitespace; quotes are kept as written, there
//     are no escapes and no multiline values (gitlab-org/gitlab!89403); names are ASCII
//     letters, digits and underscores; of duplicate keys the last wins;
//   - the variables are not raw: "$NAME" in a value is expanded in the jobs that get it.
//
// Jenkins, readProperties (java.util.Properties): a backslash escapes the next character or
// continues the line; a value's leading whitespace is dropped; "${...}" is replaced when the
// step is called with interpolate: true; Properties reads a byte stream as ISO 8859-1.
//
// GitHub, $GITHUB_OUTPUT: NAME=VALUE, the value verbatim to the end of the line; multiline
// values need the NAME<<DELIMITER form.
//
// So kiln accepts what all three read alike: keys matching ^[A-Z_][A-Z0-9_]*$ (at most 255
// bytes), values of printable ASCII without ", ', `, \ and $ and without leading or trailing
// spaces, and at most MaxDotenvVars lines in less than MaxDotenvSize bytes (uncompressed,
// which is stricter than GitLab). Lines are written sorted by key, so the file does not
// depend on the order in which steps (or map iterations) set the values. kiln.env never
// holds secrets: it is a plain artifact that everyone with pipeline access can read.

// The limits WriteDotenv enforces: GitLab's defaults for self-managed instances.
const (
	MaxDotenvVars = 20
	MaxDotenvSize = 5 << 10 // bytes; the file must be smaller
	maxKeyLen     = 255
)

var dotenvKeyRE = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*$`)

// Var is one KEY=value line of kiln.env.
type Var struct {
	Key   string
	Value string
}

// Dotenv is the content of kiln.env: variables in key order, each key once. The zero value
// is an empty file.
type Dotenv struct {
	vars []Var
}

// Vars returns a copy of the variables, in key order.
func (d Dotenv) Vars() []Var { return append([]Var(nil), d.vars...) }

// Len returns the number of variables.
func (d Dotenv) Len() int { return len(d.vars) }

// Get returns the value of key and whether it is set.
func (d Dotenv) Get(key string) (string, bool) {
	i, ok := d.find(key)
	if !ok {
		return "", false
	}
	return d.vars[i].Value, true
}

func (d Dotenv) find(key string) (int, bool) {
	i := sort.Search(len(d.vars), func(i int) bool { return d.vars[i].Key >= key })
	return i, i < len(d.vars) && d.vars[i].Key == key
}

// Set sets key to value, after checking both with CheckDotenvKey and CheckDotenvValue.
func (d *Dotenv) Set(key, value string) error {
	if err := CheckDotenvKey(key); err != nil {
		return err
	}
	if err := CheckDotenvValue(key, value); err != nil {
		return err
	}
	i, ok := d.find(key)
	if ok {
		d.vars[i].Value = value
		return nil
	}
	d.vars = append(d.vars, Var{})
	copy(d.vars[i+1:], d.vars[i:])
	d.vars[i] = Var{Key: key, Value: value}
	return nil
}

// SetAll sets every variable of vars, or none of them when one is invalid.
func (d *Dotenv) SetAll(vars map[string]string) error {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := CheckDotenvKey(k); err != nil {
			return err
		}
		if err := CheckDotenvValue(k, vars[k]); err != nil {
			return err
		}
	}
	for _, k := range keys {
		_ = d.Set(k, vars[k]) // checked above
	}
	return nil
}

// Delete removes key; it is not an error when key is not set.
func (d *Dotenv) Delete(key string) {
	if i, ok := d.find(key); ok {
		d.vars = append(d.vars[:i], d.vars[i+1:]...)
	}
}

// Bytes returns the file content, one KEY=value line each, or an error when it exceeds
// MaxDotenvVars or MaxDotenvSize.
func (d Dotenv) Bytes() ([]byte, error) {
	if len(d.vars) > MaxDotenvVars {
		return nil, fmt.Errorf("%d variables is more than the %d GitLab accepts by default",
			len(d.vars), MaxDotenvVars)
	}
	var b bytes.Buffer
	for _, v := range d.vars {
		b.WriteString(v.Key + "=" + v.Value + "\n")
	}
	if b.Len() >= MaxDotenvSize {
		return nil, fmt.Errorf("%d bytes: GitLab accepts a dotenv file of less than %d bytes by default",
			b.Len(), MaxDotenvSize)
	}
	return b.Bytes(), nil
}

// CheckDotenvKey returns why key cannot be a kiln.env key, or nil.
func CheckDotenvKey(key string) error {
	switch {
	case key == "":
		return errors.New("dotenv key is empty")
	case len(key) > maxKeyLen:
		return fmt.Errorf("dotenv key %.20q...: longer than %d bytes", key, maxKeyLen)
	case !dotenvKeyRE.MatchString(key):
		return fmt.Errorf("dotenv key %q: must match %s", key, dotenvKeyRE)
	}
	return nil
}

// CheckDotenvValue returns why value cannot be the value of key in kiln.env, or nil.
func CheckDotenvValue(key, value string) error {
	if why := dotenvValueProblem(value); why != "" {
		return fmt.Errorf("dotenv value of %s: %s", key, why)
	}
	return nil
}

func dotenvValueProblem(v string) string {
	if strings.HasPrefix(v, " ") || strings.HasSuffix(v, " ") {
		return "leading or trailing spaces (GitLab strips them)"
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\n' || c == '\r':
			return fmt.Sprintf("line break at byte %d (values are single-line)", i)
		case c < 0x20 || c == 0x7f:
			return fmt.Sprintf("control character %#02x at byte %d", c, i)
		case c >= 0x80:
			return fmt.Sprintf("non-ASCII byte %#02x at byte %d (Jenkins may read the file as ISO 8859-1)", c, i)
		case c == '"' || c == '\'' || c == '`':
			return fmt.Sprintf("quote %q at byte %d (dotenv readers disagree about quotes)", c, i)
		case c == '\\':
			return fmt.Sprintf("backslash at byte %d (Jenkins readProperties reads it as an escape)", i)
		case c == '$':
			return fmt.Sprintf("%q at byte %d (GitLab expands variables in dotenv values)", c, i)
		}
	}
	return ""
}
