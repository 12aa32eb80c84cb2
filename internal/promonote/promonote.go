// Package promonote writes the note kiln leaves on a merge request (GitLab) or pull request
// (GitHub) once it promoted the image that request's head was tested with: a hidden marker
// by which a later run finds the note and does not post it again, and a table saying what
// was promoted, from where, tested how, and by which run.
package promonote

import (
	"fmt"
	"strings"

	"github.com/kiln-ci/kiln/internal/record"
)

// Marker is the hidden line (an HTML comment, invisible in the rendered note) that marks
// the note of the promotion of image imageID to environment env.
func Marker(env, imageID string) string {
	return "<!-- kiln-promotion environment=" + CommentSafe(env) + " image=" + CommentSafe(imageID) + " -->"
}

// CommentSafe keeps s from ending the HTML comment it is written in.
func CommentSafe(s string) string {
	return strings.NewReplacer("--", "", ">", "", "\n", " ", "\r", " ").Replace(s)
}

// Note is what differs between the systems' notes.
type Note struct {
	Request    string // "merge request" or "pull request"
	How        string // how it was merged: "merge commit", "squash", ...
	TestedIn   string // Markdown: the job and pipeline (run) that tested the image
	PromotedBy string // Markdown: the promote pipeline, job or run; "" leaves the row out
}

// Body is the Markdown note on the promotion of rec's image to env: the marker, the image's
// id, name and family, the source commit, the tests and what promoted it.
func Body(rec *record.Record, env string, n Note) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n**kiln promoted %s to %s.**\n\n", Marker(env, rec.Image.ID), Code(rec.Image.Name), Code(env))
	b.WriteString("| | |\n|---|---|\n")
	row := func(k, v string) { fmt.Fprintf(&b, "| %s | %s |\n", k, v) }
	row("Image id", Code(rec.Image.ID))
	row("Image name", Code(rec.Image.Name))
	row("Family", Code(rec.Image.Family))
	row("Source commit", fmt.Sprintf("%s, the head of this %s (merged by %s)", Code(rec.Source.Commit), n.Request, n.How))
	if t := rec.Tests; t != nil {
		row("Tests", fmt.Sprintf("%d of %d checks passed against this image in %s, in %s",
			t.Passed, t.Total, Code(t.Environment), n.TestedIn))
	}
	if n.PromotedBy != "" {
		row("Promoted by", n.PromotedBy)
	}
	return b.String()
}

// Code formats s as inline Markdown code.
func Code(s string) string {
	return "`" + strings.ReplaceAll(strings.ReplaceAll(s, "`", "'"), "\n", " ") + "`"
}

// Link formats a Markdown link, or the bare text when there is no URL (or one Markdown
// would misread).
func Link(text, url string) string {
	if url == "" || strings.ContainsAny(url, " ()\n") {
		return text
	}
	return "[" + text + "](" + url + ")"
}
