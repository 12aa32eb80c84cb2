// Package attest signs and verifies kiln's test attestations: an in-toto v1 Statement
// about a VM image, with a kiln test Predicate, in a DSSE envelope. kiln-test signs what
// it vouches for (Sign); kiln-promote and kiln-rollback check it (Verify). Keys are local
// PEM files (LoadPrivateKey, LoadPublicKey) or a Vault transit key (Transit); both name a
// key by the SHA-256 of its PKIX public key (KeyID), so a PEM exported from a transit key
// verifies what the transit key signed.
package attest

import (
	"time"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
)

// PayloadType is the DSSE payload type of an in-toto statement.
const PayloadType = "application/vnd.in-toto+json"

// PredicateType names kiln's test predicate in the statement.
const PredicateType = "https://kiln-ci.dev/attestations/test/v1"

// Statuses of a Predicate and of its Results.
const (
	// StatusPassed says every check passed.
	StatusPassed = "passed"
	// StatusFailed says a check failed.
	StatusFailed = "failed"
)

// Predicate is what kiln-test vouches for: the image it tested, the environment and state
// it tested in, and the checks' results. Verify returns failed predicates too: a caller
// that gates on the tests checks Status.
type Predicate struct {
	ImageID   string `json:"image_id"`
	ImageName string `json:"image_name"`
	// PackagesDigest is the image's package list digest as baked (record.Image's); the
	// immutable checks compare a running server with it.
	PackagesDigest string    `json:"packages_digest,omitempty"`
	Family         string    `json:"family"`
	Environment    string    `json:"environment"`
	StateLineage   string    `json:"state_lineage"`
	StateSerial    int64     `json:"state_serial"`
	StateDigest    string    `json:"state_digest"`
	ChecksDigest   string    `json:"checks_digest"`
	Status         string    `json:"status"` // StatusPassed or StatusFailed
	Passed         int       `json:"passed"`
	Failed         int       `json:"failed"`
	Total          int       `json:"total"`
	Results        []Result  `json:"results"`
	SourceRepo     string    `json:"source_repo"`
	SourceCommit   string    `json:"source_commit"`
	PipelineURL    string    `json:"pipeline_url"`
	BuiltAt        time.Time `json:"built_at"`
	TestedAt       time.Time `json:"tested_at"`
}

// Result is the outcome of one check.
type Result struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
}

// Envelope is a DSSE envelope as stored in the record:
// {"payloadType", "payload" (standard base64), "signatures": [{"keyid", "sig"}]}.
type Envelope = dsse.Envelope

// Signature is one signature of an Envelope: the signer's keyid and the base64 signature.
type Signature = dsse.Signature

// Signer signs the DSSE pre-authentication encoding of a payload; KeyID names its key.
type Signer = dsse.Signer

// Verifier checks a signature over the DSSE pre-authentication encoding; KeyID names its
// key, and only signatures with that keyid (or none) are tried with it.
type Verifier = dsse.Verifier
