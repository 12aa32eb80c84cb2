package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// MaxImageNameLen is the longest image name GCP accepts (AWS accepts longer ones).
const MaxImageNameLen = 63

// NameData is what an image name template may use.
type NameData struct {
	Family string
	SHA    string    // the full commit SHA
	Ref    string    // branch or tag, "refs/heads/" or "refs/tags/" allowed
	Time   time.Time // when the bake started
}

// nameFields are the fields an image name template sees.
type nameFields struct {
	Family    string
	Timestamp string // UTC, 20060102150405
	Date      string // UTC, 20060102
	SHA       string
	ShortSHA  string // the first 8 characters of SHA
	Ref       string // slugged: lowercase letters, digits and single hyphens
}

var errNameTooLong = errors.New("rendered name too long")

// RenderName renders an image name template (text/template over .Family, .Timestamp,
// .Date, .SHA, .ShortSHA and .Ref) and checks the result with ValidateImageName.
func RenderName(tmpl string, d NameData) (string, error) {
	t, err := parseNameTemplate(tmpl)
	if err != nil {
		return "", err
	}
	sha := strings.ToLower(d.SHA)
	f := nameFields{
		Family:    d.Family,
		Timestamp: d.Time.UTC().Format("20060102150405"),
		Date:      d.Time.UTC().Format("20060102"),
		SHA:       sha,
		ShortSHA:  sha[:min(8, len(sha))],
		Ref:       slug(d.Ref),
	}
	w := &limitWriter{max: 4 * MaxImageNameLen}
	if err := t.Execute(w, f); err != nil {
		if errors.Is(err, errNameTooLong) {
			return "", fmt.Errorf("render image name: longer than %d characters", MaxImageNameLen)
		}
		if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
			return "", fmt.Errorf("unknown field .%s (have .Family .Timestamp .Date .SHA .ShortSHA .Ref)", m[1])
		}
		return "", fmt.Errorf("render image name: %s", oneLine(err))
	}
	name := w.String()
	if err := ValidateImageName(name); err != nil {
		return "", err
	}
	return name, nil
}

// unknownField finds the field name in text/template's "can't evaluate field X in type T".
var unknownField = regexp.MustCompile(`can't evaluate field (\w+)`)

// parseNameTemplate parses tmpl, refusing loops and nested templates: a name needs
// neither, and a loop could keep validation busy.
func parseNameTemplate(tmpl string) (*template.Template, error) {
	t, err := template.New("image.name").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return nil, fmt.Errorf("parse image name template: %s", oneLine(err))
	}
	if t.Tree == nil {
		return t, nil
	}
	if err := checkNameNodes(t.Tree.Root); err != nil {
		return nil, fmt.Errorf("parse image name template: %w", err)
	}
	return t, nil
}

// checkNameNodes allows text, actions, if and with; not range, template or block.
func checkNameNodes(n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Nodes {
			if err := checkNameNodes(c); err != nil {
				return err
			}
		}
	case *parse.IfNode:
		return checkBranch(&n.BranchNode)
	case *parse.WithNode:
		return checkBranch(&n.BranchNode)
	case *parse.TextNode, *parse.ActionNode, *parse.CommentNode:
	default:
		return fmt.Errorf("%q is not allowed in a name template", n.String())
	}
	return nil
}

func checkBranch(b *parse.BranchNode) error {
	if err := checkNameNodes(b.List); err != nil {
		return err
	}
	if b.ElseList != nil {
		return checkNameNodes(b.ElseList)
	}
	return nil
}

// ValidateImageName checks name against GCP's rule for image names (and families),
// [a-z]([-a-z0-9]{0,61}[a-z0-9])?, whose names AWS also accepts as AMI names once
// they are 3 characters or longer.
func ValidateImageName(name string) error {
	if reason := nameProblem(name); reason != "" {
		return fmt.Errorf("image name %q %s", name, reason)
	}
	return nil
}

// nameProblem says what is wrong with name, or "" when nothing is.
func nameProblem(name string) string {
	switch {
	case name == "":
		return "is empty"
	case len(name) > MaxImageNameLen:
		return fmt.Sprintf("is %d characters long; the limit is %d", len(name), MaxImageNameLen)
	case name[0] < 'a' || name[0] > 'z':
		return "must start with a lowercase letter"
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Sprintf("may hold only lowercase letters, digits and hyphens, not %q", r)
		}
	}
	if strings.HasSuffix(name, "-") {
		return "must not end with a hyphen"
	}
	return ""
}

// slug turns a branch or tag into lowercase letters, digits and single hyphens.
func slug(ref string) string {
	ref = strings.TrimPrefix(ref, "refs/heads/")
	ref = strings.TrimPrefix(ref, "refs/tags/")
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(ref) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			hyphen = false
		} else if !hyphen && b.Len() > 0 {
			b.WriteByte('-')
			hyphen = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// limitWriter collects at most max bytes and fails past them.
type limitWriter struct {
	strings.Builder
	max int
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.Len()+len(p) > w.max {
		return 0, errNameTooLong
	}
	return w.Builder.Write(p)
}

// oneLine flattens a multi-line error message.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
