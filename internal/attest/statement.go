package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// SubjectURIPrefix prefixes the uri of the subject of an image kiln knows by a cloud id
// ("kiln-image:us-east-1:ami-0abc").
const SubjectURIPrefix = "kiln-image:"

// ImageIDDigest is the DigestSet algorithm that carries a cloud image id verbatim
// ({"kilnImageId": "us-east-1:ami-0abc"}). In-toto v1 requires a digest on every subject
// and allows such immutable, non-cryptographic ids for VM images (spec/v1/digest_set.md,
// "Use cases for non-cryptographic, immutable, digests").
const ImageIDDigest = "kilnImageId"

// maxSerial is the largest state serial a statement carries exactly: the predicate is a
// protobuf Struct, whose numbers are float64.
const maxSerial = 1 << 53

var localID = regexp.MustCompile(`^local:sha256:([0-9a-f]{64})$`)

// statementKeys are the fields of an in-toto v1 statement, spelled as the spec spells them
// (protojson also accepts the proto names, "type" and "predicate_type").
var statementKeys = map[string]bool{"_type": true, "subject": true, "predicateType": true, "predicate": true}

// Subject returns the statement subject for an image id: its name, and the sha256 digest
// of a local image ("local:sha256:<hex>") or, for a cloud id, the uri
// SubjectURIPrefix+id and the id itself as an ImageIDDigest.
func Subject(imageID string) *intoto.ResourceDescriptor {
	if m := localID.FindStringSubmatch(imageID); m != nil {
		return &intoto.ResourceDescriptor{Name: imageID, Digest: map[string]string{"sha256": m[1]}}
	}
	return &intoto.ResourceDescriptor{
		Name:   imageID,
		Uri:    SubjectURIPrefix + imageID,
		Digest: map[string]string{ImageIDDigest: imageID},
	}
}

// encodeStatement returns the compact JSON of the statement about p.
func encodeStatement(p Predicate) ([]byte, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode predicate: %w", err)
	}
	pred := &structpb.Struct{}
	if err := protojson.Unmarshal(raw, pred); err != nil {
		return nil, fmt.Errorf("encode predicate: %w", err)
	}
	st := &intoto.Statement{
		Type:          intoto.StatementTypeUri,
		Subject:       []*intoto.ResourceDescriptor{Subject(p.ImageID)},
		PredicateType: PredicateType,
		Predicate:     pred,
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	out, err := protojson.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("encode statement: %w", err)
	}
	// protojson's spacing is deliberately unstable; the payload need not be.
	var buf bytes.Buffer
	if err := json.Compact(&buf, out); err != nil {
		return nil, fmt.Errorf("encode statement: %w", err)
	}
	return buf.Bytes(), nil
}

// decodeStatement decodes a signed payload strictly and returns its predicate.
func decodeStatement(payload []byte) (*Predicate, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(payload, &top); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	for k := range top {
		if !statementKeys[k] {
			return nil, fmt.Errorf("statement: unknown field %q", k)
		}
	}
	st := &intoto.Statement{}
	if err := protojson.Unmarshal(payload, st); err != nil {
		return nil, fmt.Errorf("statement: %s", oneLine(err.Error()))
	}
	if st.GetType() != intoto.StatementTypeUri {
		return nil, fmt.Errorf("statement _type is %q, want %q", st.GetType(), intoto.StatementTypeUri)
	}
	if st.GetPredicateType() != PredicateType {
		return nil, fmt.Errorf("predicateType is %q, want %q", st.GetPredicateType(), PredicateType)
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	p, err := decodePredicate(st.GetPredicate())
	if err != nil {
		return nil, fmt.Errorf("predicate: %w", err)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("predicate: %w", err)
	}
	if len(st.GetSubject()) != 1 || !proto.Equal(st.GetSubject()[0], Subject(p.ImageID)) {
		return nil, fmt.Errorf("subject %s does not match the predicate's image %q", subjectNames(st), p.ImageID)
	}
	return p, nil
}

// decodePredicate decodes the predicate into a Predicate: a field Predicate does not
// have, spelled exactly, is an error.
func decodePredicate(s *structpb.Struct) (*Predicate, error) {
	if err := checkFields(structpb.NewStructValue(s), predicateType, ""); err != nil {
		return nil, err
	}
	raw, err := protojson.Marshal(s)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var p Predicate
	if err := dec.Decode(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

// validate checks what Sign and Verify require of a predicate.
func (p *Predicate) validate() error {
	switch {
	case p.ImageID == "":
		return errors.New("no image_id")
	case p.Status != StatusPassed && p.Status != StatusFailed:
		return fmt.Errorf("status is %q, want %q or %q", p.Status, StatusPassed, StatusFailed)
	case p.StateSerial > maxSerial || p.StateSerial < -maxSerial:
		return fmt.Errorf("state_serial %d is beyond the 2^53 a statement carries exactly", p.StateSerial)
	}
	return nil
}

// subjectNames lists the subject's names for an error message.
func subjectNames(st *intoto.Statement) string {
	names := make([]string, 0, len(st.GetSubject()))
	for _, s := range st.GetSubject() {
		names = append(names, fmt.Sprintf("%q", s.GetName()))
	}
	return "[" + strings.Join(names, ", ") + "]"
}

// oneLine joins the lines of a message.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
