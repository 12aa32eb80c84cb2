package attest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-ci/kiln/internal/attest"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	tests := []struct {
		name, kind, imageID string
		subject             map[string]any
	}{
		{"ed25519 local image", "ed25519", localID, map[string]any{
			"name": localID, "digest": map[string]any{"sha256": localID[len("local:sha256:"):]}}},
		{"P-256 PKCS#8 AWS image", "p256", "us-east-1:ami-0abc", map[string]any{
			"name": "us-east-1:ami-0abc", "uri": "kiln-image:us-east-1:ami-0abc",
			"digest": map[string]any{"kilnImageId": "us-east-1:ami-0abc"}}},
		{"P-256 SEC 1 GCP image", "p256-sec1", "projects/p/global/images/web-1", map[string]any{
			"name": "projects/p/global/images/web-1", "uri": "kiln-image:projects/p/global/images/web-1",
			"digest": map[string]any{"kilnImageId": "projects/p/global/images/web-1"}}},
		{"P-384", "p384", localID, map[string]any{
			"name": localID, "digest": map[string]any{"sha256": localID[len("local:sha256:"):]}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, v := loadPair(t, tt.kind)
			want := predicate(tt.imageID)
			env, err := attest.Sign(ctx, s, want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := attest.Verify(ctx, env, v)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("predicate:\n got %+v\nwant %+v", *got, want)
			}
			st := payload(t, env)
			if st["_type"] != "https://in-toto.io/Statement/v1" || st["predicateType"] != attest.PredicateType {
				t.Errorf("statement header: %v %v", st["_type"], st["predicateType"])
			}
			if subj := st["subject"].([]any); len(subj) != 1 || !reflect.DeepEqual(subj[0], tt.subject) {
				t.Errorf("subject = %v, want [%v]", st["subject"], tt.subject)
			}
			sid, _ := s.KeyID()
			vid, _ := v.KeyID()
			if env.Signatures[0].KeyID != vid || sid != vid || len(vid) != 64 {
				t.Errorf("keyids: envelope %q, signer %q, verifier %q", env.Signatures[0].KeyID, sid, vid)
			}
		})
	}
}

func TestEnvelopeJSON(t *testing.T) {
	s, v := loadPair(t, "ed25519")
	env, err := attest.Sign(context.Background(), s, predicate(localID))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	sigs, _ := m["signatures"].([]any)
	if len(m) != 3 || m["payloadType"] != attest.PayloadType || m["payload"] == nil || len(sigs) != 1 {
		t.Fatalf("envelope JSON = %s", raw)
	}
	if sig := sigs[0].(map[string]any); len(sig) != 2 || sig["keyid"] == nil || sig["sig"] == nil {
		t.Fatalf("signature JSON = %v", sig)
	}
	var back attest.Envelope
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if _, err := attest.Verify(context.Background(), &back, v); err != nil {
		t.Fatal(err)
	}
}

func TestSignRefuses(t *testing.T) {
	s, _ := loadPair(t, "ed25519")
	tests := []struct {
		name string
		edit func(p *attest.Predicate)
		want string
	}{
		{"no image id", func(p *attest.Predicate) { p.ImageID = "" }, "no image_id"},
		{"unknown status", func(p *attest.Predicate) { p.Status = "skipped" }, `status is "skipped"`},
		{"serial beyond 2^53", func(p *attest.Predicate) { p.StateSerial = 1<<53 + 1 }, "state_serial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := predicate(localID)
			tt.edit(&p)
			_, err := attest.Sign(context.Background(), s, p)
			checkMessage(t, err, "sign attestation: predicate: "+tt.want)
		})
	}
	_, err := attest.Sign(context.Background(), nil, predicate(localID))
	checkMessage(t, err, "no signers")
}

func TestVerifyRefuses(t *testing.T) {
	ctx := context.Background()
	s, v := loadPair(t, "ed25519")
	_, other := loadPair(t, "p256")
	good, err := attest.Sign(ctx, s, predicate("us-east-1:ami-0abc"))
	if err != nil {
		t.Fatal(err)
	}
	pred := func(edit func(p map[string]any)) func(st map[string]any) {
		return func(st map[string]any) { edit(st["predicate"].(map[string]any)) }
	}
	tests := []struct {
		name      string
		env       func() *attest.Envelope
		verifiers []attest.Verifier
		want      string
	}{
		{"tampered payload", func() *attest.Envelope {
			env := *good
			raw, _ := base64.StdEncoding.DecodeString(env.Payload)
			env.Payload = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(raw), "web-20261130", "web-20261131", 1)))
			return &env
		}, nil, "does not verify: signature invalid"},
		{"tampered signature", func() *attest.Envelope {
			env := *good
			sig, _ := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
			sig[0] ^= 1
			env.Signatures = []attest.Signature{{KeyID: env.Signatures[0].KeyID, Sig: base64.StdEncoding.EncodeToString(sig)}}
			return &env
		}, nil, "does not verify: signature invalid"},
		{"another key", func() *attest.Envelope { return good }, []attest.Verifier{other}, "not by a trusted key"},
		{"another key, no keyid", func() *attest.Envelope {
			env := *good
			env.Signatures = []attest.Signature{{Sig: good.Signatures[0].Sig}}
			return &env
		}, []attest.Verifier{other}, "signature by an unnamed key does not verify"},
		{"no signature", func() *attest.Envelope {
			env := *good
			env.Signatures = nil
			return &env
		}, nil, "envelope has no signature"},
		{"no envelope", func() *attest.Envelope { return nil }, nil, "no envelope"},
		{"payload not base64", func() *attest.Envelope {
			env := *good
			env.Payload = "%%%"
			return &env
		}, nil, "payload is not base64"},
		{"wrong payloadType in the envelope", func() *attest.Envelope {
			env := *good
			env.PayloadType = "application/json"
			return &env
		}, nil, `payloadType is "application/json"`},
		{"wrong payloadType, signed", func() *attest.Envelope {
			raw, _ := base64.StdEncoding.DecodeString(good.Payload)
			return signRaw(t, s, "application/vnd.dsse+json", raw)
		}, nil, `payloadType is "application/vnd.dsse+json"`},
		{"wrong _type", func() *attest.Envelope {
			return resign(t, s, good, func(st map[string]any) { st["_type"] = "https://in-toto.io/Statement/v0.1" })
		}, nil, `statement _type is "https://in-toto.io/Statement/v0.1"`},
		{"wrong predicateType", func() *attest.Envelope {
			return resign(t, s, good, func(st map[string]any) { st["predicateType"] = "https://slsa.dev/provenance/v1" })
		}, nil, `predicateType is "https://slsa.dev/provenance/v1"`},
		{"statement field spelled the proto way", func() *attest.Envelope {
			return resign(t, s, good, func(st map[string]any) { st["predicate_type"] = st["predicateType"]; delete(st, "predicateType") })
		}, nil, `statement: unknown field "predicate_type"`},
		{"unknown statement field", func() *attest.Envelope {
			return resign(t, s, good, func(st map[string]any) { st["extra"] = true })
		}, nil, `statement: unknown field "extra"`},
		{"subject names another image", func() *attest.Envelope {
			return resign(t, s, good, func(st map[string]any) {
				st["subject"] = []any{map[string]any{"name": "us-east-1:ami-0evil", "uri": "kiln-image:us-east-1:ami-0evil",
					"digest": map[string]any{"kilnImageId": "us-east-1:ami-0evil"}}}
			})
		}, nil, `subject ["us-east-1:ami-0evil"] does not match the predicate's image "us-east-1:ami-0abc"`},
		{"two subjects", func() *attest.Envelope {
			return resign(t, s, good, func(st map[string]any) {
				st["subject"] = append(st["subject"].([]any), map[string]any{"name": "x", "digest": map[string]any{"sha256": strings.Repeat("0", 64)}})
			})
		}, nil, `subject ["us-east-1:ami-0abc", "x"] does not match`},
		{"subject without digest", func() *attest.Envelope {
			return resign(t, s, good, func(st map[string]any) {
				st["subject"] = []any{map[string]any{"name": "us-east-1:ami-0abc", "uri": "kiln-image:us-east-1:ami-0abc"}}
			})
		}, nil, "statement: at least one digest required"},
		{"unknown predicate field", func() *attest.Envelope {
			return resign(t, s, good, pred(func(p map[string]any) { p["approved_by"] = "mallory" }))
		}, nil, `predicate: unknown field "approved_by"`},
		{"unknown result field", func() *attest.Envelope {
			return resign(t, s, good, pred(func(p map[string]any) { p["results"].([]any)[1].(map[string]any)["waived"] = true }))
		}, nil, `predicate: unknown field "results[1].waived"`},
		{"predicate field in another case", func() *attest.Envelope {
			return resign(t, s, good, pred(func(p map[string]any) { p["STATUS"] = "passed"; delete(p, "status") }))
		}, nil, `predicate: unknown field "STATUS"`},
		{"predicate field of another type", func() *attest.Envelope {
			return resign(t, s, good, pred(func(p map[string]any) { p["passed"] = "all" }))
		}, nil, "predicate: json: cannot unmarshal string"},
		{"predicate with an unknown status", func() *attest.Envelope {
			return resign(t, s, good, pred(func(p map[string]any) { p["status"] = "maybe" }))
		}, nil, `predicate: status is "maybe"`},
		{"no verifier", func() *attest.Envelope { return good }, []attest.Verifier{}, "no verification key"},
		{"nil verifier", func() *attest.Envelope { return good }, []attest.Verifier{nil}, "verification key 1 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs := tt.verifiers
			if vs == nil {
				vs = []attest.Verifier{v}
			}
			p, err := attest.Verify(ctx, tt.env(), vs...)
			if p != nil {
				t.Errorf("returned a predicate: %+v", p)
			}
			checkMessage(t, err, tt.want, good.Signatures[0].Sig)
			if !strings.HasPrefix(err.Error(), "verify attestation: ") {
				t.Errorf("error %q does not start with the operation", err)
			}
		})
	}
}

func TestVerifyAnyOfSeveralKeys(t *testing.T) {
	ctx := context.Background()
	s, v := loadPair(t, "p256")
	_, other := loadPair(t, "ed25519")
	env, err := attest.Sign(ctx, s, predicate(localID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attest.Verify(ctx, env, other, v); err != nil {
		t.Fatal(err)
	}
	failed := predicate(localID)
	failed.Status, failed.Passed, failed.Failed = attest.StatusFailed, 1, 1
	env, err = attest.Sign(ctx, s, failed)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := attest.Verify(ctx, env, v); err != nil || p.Status != attest.StatusFailed {
		t.Fatalf("failed predicate: %+v, %v", p, err)
	}
}
