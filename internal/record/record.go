// Package record reads and writes what passes between kiln's pipeline stages: the image
// record kiln-image.json (schema kiln.image/v1) and the dotenv file kiln.env.
//
// The image record is decoded strictly: unknown fields, trailing data, another schema, a
// missing image id and a digest that does not match the content are all errors wrapped with
// exitcode.RecordInvalid. Each step reads the record, adds its section and rewrites the file
// atomically with Write.
//
// The digest is "sha256:" and the hex SHA-256 of the record's compact JSON encoding, as kiln
// writes it (fields in schema order, no HTML escaping), with the digest field set to "".
// A record whose compact form differs from that encoding (duplicate keys, keys in another
// order or spelling, other escapes) is refused as well, so every reader of the file sees the
// same values kiln digested. Whitespace is free: `jq .` may reindent the file. For records of
// plain text, `jq -cj '.digest=""' kiln-image.json | sha256sum` recomputes the digest.
package record

import (
	"encoding/json"
	"time"
)

// Schema is the schema identifier of the records this package reads and writes.
const Schema = "kiln.image/v1"

// The values of Tests.Status and CheckResult.Status.
const (
	StatusPassed = "passed"
	StatusFailed = "failed"
)

// Record is the content of kiln-image.json: one baked image, where it came from and what
// the later stages did with it.
type Record struct {
	Schema      string       `json:"schema"`
	Image       Image        `json:"image"`
	Source      Source       `json:"source"`
	BuiltAt     time.Time    `json:"built_at"`
	Tests       *Tests       `json:"tests,omitempty"`
	Deployments []Deployment `json:"deployments,omitempty"`
	Promotion   *Promotion   `json:"promotion,omitempty"`
	// Verifications are the latest kiln-test run against each environment other than
	// test.environment (kiln-test --environment prod), by environment: what the image shows
	// where it runs. The promotion gate never reads them; it reads Tests.
	Verifications map[string]Verification `json:"verifications,omitempty"`
	// Digest is "sha256:<hex>" over the canonical JSON of the record with Digest empty;
	// Encode computes it.
	Digest string `json:"digest"`
}

// Image identifies the baked image. ID is what deploys use, verbatim: a local registry id
// (local:sha256:<hex>), an AMI with its region (us-east-1:ami-...), a GCP image name.
type Image struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Family    string            `json:"family"`
	Builder   string            `json:"builder"`  // the Packer builder type, e.g. qemu
	Provider  string            `json:"provider"` // the registry type: local, aws, gcp
	Artifacts []Artifact        `json:"artifacts"`
	Labels    map[string]string `json:"labels,omitempty"`
	// PackagesDigest is "sha256:<hex>" of the image's package list as the bake printed it
	// (a "kiln-fact packages_digest" line; see checks.PackagesDigest); empty when the template
	// printed none. Immutable checks compare the running machine's with it.
	PackagesDigest string `json:"packages_digest,omitempty"`
}

// Artifact is one artifact Packer reported for the build.
type Artifact struct {
	Build     string `json:"build"`      // the Packer build name, e.g. qemu.app
	BuilderID string `json:"builder_id"` // the Packer builder id, e.g. transcend.qemu
	ID        string `json:"id"`         // the artifact id as Packer reported it
	Region    string `json:"region,omitempty"`
	Files     []File `json:"files,omitempty"`
}

// File is a file an artifact consists of, with its checksum.
type File struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Source is the provenance of the image: the commit, template and base image it was baked
// from and the pipeline that baked it.
type Source struct {
	Repo           string `json:"repo"`
	Commit         string `json:"commit"`
	Ref            string `json:"ref"`
	PipelineURL    string `json:"pipeline_url"`
	TemplateSHA256 string `json:"template_sha256"`
	BaseImage      string `json:"base_image"`
}

// Tests is the test attestation: which image the checks ran against, where, when, and how
// they went.
type Tests struct {
	Status      string        `json:"status"` // StatusPassed or StatusFailed
	Passed      int           `json:"passed"`
	Failed      int           `json:"failed"`
	Total       int           `json:"total"`
	ImageID     string        `json:"image_id"`
	Environment string        `json:"environment"`
	At          time.Time     `json:"at"`
	Checks      []CheckResult `json:"checks,omitempty"`
	JUnit       string        `json:"junit,omitempty"` // path of the JUnit XML report
	// Family is the image family the checks were configured for.
	Family string `json:"family,omitempty"`
	// StateLineage and StateSerial identify the Terraform state of Environment the checks
	// ran against: the same before and after the checks, naming ImageID.
	StateLineage string `json:"state_lineage,omitempty"`
	StateSerial  int64  `json:"state_serial,omitempty"`
	StateDigest  string `json:"state_digest,omitempty"`
	// ChecksDigest is "sha256:<hex>" of kiln.yaml's test block as run (config.Test.Digest).
	ChecksDigest string `json:"checks_digest,omitempty"`
	// Attestation is the signed in-toto statement of these results, when kiln.yaml has an
	// attest block.
	Attestation *Envelope `json:"attestation,omitempty"`
}

// Envelope is a DSSE envelope (https://github.com/secure-systems-lab/dsse), as JSON: the
// payload is base64 of an in-toto Statement.
type Envelope struct {
	PayloadType string      `json:"payloadType"`
	Payload     string      `json:"payload"`
	Signatures  []Signature `json:"signatures"`
}

// Signature is one DSSE signature: base64 of the signature over the envelope's PAE.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// Verification is one kiln-test run against an environment other than test.environment:
// which image and Terraform state the checks that list that environment ran against, when,
// and how they went.
type Verification struct {
	Status  string        `json:"status"` // StatusPassed or StatusFailed
	Passed  int           `json:"passed"`
	Failed  int           `json:"failed"`
	Total   int           `json:"total"`
	ImageID string        `json:"image_id"`
	At      time.Time     `json:"at"`
	Checks  []CheckResult `json:"checks,omitempty"`
	JUnit   string        `json:"junit,omitempty"`
	// StateLineage, StateSerial and StateDigest identify the environment's Terraform state
	// the checks ran against, the same before and after them.
	StateLineage string `json:"state_lineage,omitempty"`
	StateSerial  int64  `json:"state_serial,omitempty"`
	StateDigest  string `json:"state_digest,omitempty"`
	// ChecksDigest is config.ChecksDigest of the kiln.yaml the checks came from.
	ChecksDigest string `json:"checks_digest,omitempty"`
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`   // http, tcp, ssh, goss, immutable
	Status     string `json:"status"` // StatusPassed or StatusFailed
	Message    string `json:"message,omitempty"`
	Attempts   int    `json:"attempts"`
	DurationMS int64  `json:"duration_ms"`
}

// Deployment records that an environment was applied with an image, and its outputs.
type Deployment struct {
	Environment string            `json:"environment"`
	Workspace   string            `json:"workspace"`
	ImageID     string            `json:"image_id"`
	Outputs     map[string]Output `json:"outputs,omitempty"`
	At          time.Time         `json:"at"`
	// StateLineage and StateSerial identify the Terraform state the apply left behind;
	// StateDigest is the SHA-256 of that state as pulled, which any later write or edit
	// changes.
	StateLineage string `json:"state_lineage,omitempty"`
	StateSerial  int64  `json:"state_serial,omitempty"`
	StateDigest  string `json:"state_digest,omitempty"`
	// Expires is when a dev environment's TTL (KILN_TTL) ends and kiln-sweep may destroy it;
	// zero for the promote environment.
	Expires time.Time `json:"expires,omitzero"`
	// Destroyed is when kiln-destroy-dev destroyed the environment; its outputs are gone
	// then, and kiln-test refuses to test it. The state fields stay: they say what the tests
	// ran against.
	Destroyed time.Time `json:"destroyed,omitzero"`
}

// Output is one Terraform output. Sensitive outputs never carry a value.
type Output struct {
	Value     json.RawMessage `json:"value,omitempty"`
	Sensitive bool            `json:"sensitive,omitempty"`
}

// Promotion records that the image was promoted to an environment and became the family's
// current image.
type Promotion struct {
	Environment     string    `json:"environment"`
	ImageID         string    `json:"image_id"`
	Family          string    `json:"family"`
	PreviousImageID string    `json:"previous_image_id,omitempty"`
	From            string    `json:"from,omitempty"` // the branch promoted from, e.g. master
	To              string    `json:"to,omitempty"`   // the branch promoted to, e.g. stable
	MergeRequest    string    `json:"merge_request,omitempty"`
	At              time.Time `json:"at"`
	// Outcome is OutcomePromoted or OutcomeRolledBack; empty means promoted (a replace
	// promotion, or a record older than strategies). Strategy is how a blue-green or canary
	// promotion went (rollout.go).
	Outcome  string   `json:"outcome,omitempty"`
	Strategy *Rollout `json:"strategy,omitempty"`
}

// New returns a record of the current schema for a freshly baked image.
func New(img Image, src Source, builtAt time.Time) *Record {
	return &Record{Schema: Schema, Image: img, Source: src, BuiltAt: builtAt}
}
