package record

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rolledBack returns the sample with a canary promotion that rolled back at its first step.
func rolledBack() *Record {
	r := sample()
	r.Promotion.Outcome = OutcomeRolledBack
	r.Promotion.Strategy = &Rollout{Type: "canary", Slot: "green", PreviousSlot: "blue",
		Gate: "canary step 1 (10%)", Reason: "error rate 28.6% > 1% (12 of 42 requests)",
		Phases: []Phase{
			{Name: "checks", Status: StatusPassed, DurationMS: 310},
			{Name: "step 1", Weight: 10, Status: StatusFailed, DurationMS: 2000, Requests: 42, Errors: 12, LatencyMS: 3, Message: "error rate 28.6% > 1%"},
			{Name: "rollback", Status: StatusPassed, DurationMS: 900},
		}}
	return r
}

func TestRolloutRoundTrip(t *testing.T) {
	r := rolledBack()
	data := mustEncode(t, r)
	got, err := Decode(data, "kiln-image.json")
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got.Promotion.Outcome != OutcomeRolledBack || got.Promotion.Strategy.Phases[1].Errors != 12 || got.Promotion.Done() {
		t.Fatalf("decoded promotion %+v", got.Promotion)
	}
	if again := mustEncode(t, got); !bytes.Equal(again, data) {
		t.Fatalf("re-encoding changed the record:\n%s\n%s", data, again)
	}
	if env := EnvFromRecord(got); env[EnvPromotedEnvironment] != "" {
		t.Errorf("a rolled back promotion sets %s=%s", EnvPromotedEnvironment, env[EnvPromotedEnvironment])
	}
}

// A record without the new fields encodes exactly as before they existed: its digest does
// not move, and records written by an older kiln still decode.
func TestRolloutOldRecordsUnchanged(t *testing.T) {
	data := mustEncode(t, sample())
	for _, key := range []string{`"outcome"`, `"strategy"`} {
		if bytes.Contains(data, []byte(key)) {
			t.Errorf("a promotion without a rollout encodes %s", key)
		}
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "record.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(golden, "record.golden.json"); err != nil {
		t.Fatalf("the golden record written before rollouts: %v", err)
	}
	if !sample().Promotion.Done() || (*Promotion)(nil).Done() {
		t.Error("Done: an outcome-less promotion is in place, a nil one is not")
	}
	if env := EnvFromRecord(sample()); env[EnvPromotedEnvironment] != "prod" {
		t.Errorf("a promotion sets %s=%q, want prod", EnvPromotedEnvironment, env[EnvPromotedEnvironment])
	}
}

func TestRolloutValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Record)
		want string
	}{
		{"rolled back", func(*Record) {}, ""},
		{"promoted", func(r *Record) {
			r.Promotion.Outcome, r.Promotion.Strategy.Gate, r.Promotion.Strategy.Reason = OutcomePromoted, "", ""
		}, ""},
		{"unknown outcome", func(r *Record) { r.Promotion.Outcome = "aborted" }, `promotion.outcome is "aborted", want "promoted" or "rolled_back"`},
		{"rolled back without strategy", func(r *Record) { r.Promotion.Strategy = nil }, "promotion.outcome is rolled_back without a strategy section"},
		{"no slot", func(r *Record) { r.Promotion.Strategy.Slot = "" }, "promotion.strategy needs its type and slot"},
		{"no reason", func(r *Record) { r.Promotion.Strategy.Reason = "" }, "promotion.strategy of a rolled back promotion needs its gate and reason"},
		{"phase status", func(r *Record) { r.Promotion.Strategy.Phases[0].Status = "ok" }, `promotion.strategy.phases[0].status is "ok", want "passed" or "failed"`},
		{"more errors than requests", func(r *Record) { r.Promotion.Strategy.Phases[1].Errors = 50 }, "promotion.strategy.phases[1] counts do not add up (requests 42, errors 50)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rolledBack()
			tc.edit(r)
			err := r.Validate()
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate = %v, want %q", err, tc.want)
			}
			if tc.want != "" {
				if _, err := Decode(sealed(t, r), "kiln-image.json"); err == nil {
					t.Fatal("Decode accepted the invalid record")
				}
			}
		})
	}
}
