package exitcode

import (
	"errors"
	"fmt"
	"testing"
)

func TestOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, OK},
		{"plain", errors.New("boom"), Failed},
		{"new", New(RecordInvalid, "record %s: missing", "kiln-image.json"), RecordInvalid},
		{"wrapped by fmt", fmt.Errorf("deploy: %w", New(Locked, "locked")), Locked},
		{"innermost wins", Wrap(Usage, fmt.Errorf("outer: %w", New(VaultDenied, "denied"))), Usage},
		{"wrap of plain", Wrap(PromotionRefused, errors.New("gate")), PromotionRefused},
		{"zero code", Wrap(OK, errors.New("odd")), OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Of(tc.err); got != tc.want {
				t.Errorf("Of(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

func TestWrapNil(t *testing.T) {
	if err := Wrap(Usage, nil); err != nil {
		t.Errorf("Wrap(Usage, nil) = %v, want nil", err)
	}
}

func TestErrorMessageAndUnwrap(t *testing.T) {
	base := errors.New("kiln.yaml:3: unknown key")
	err := Wrap(Usage, base)
	if err.Error() != base.Error() {
		t.Errorf("Error() = %q, want the wrapped message %q", err.Error(), base.Error())
	}
	if !errors.Is(err, base) {
		t.Error("errors.Is does not reach the wrapped error")
	}
	if got := New(Failed, "packer %s: %d", "build", 3).Error(); got != "packer build: 3" {
		t.Errorf("New message = %q", got)
	}
}

func TestTable(t *testing.T) {
	seen := map[int]bool{}
	for _, c := range Table {
		if seen[c.Code] {
			t.Errorf("code %d listed twice", c.Code)
		}
		seen[c.Code] = true
		if c.Meaning == "" {
			t.Errorf("code %d has no meaning", c.Code)
		}
	}
	// Every code of the contract (DESIGN.md) is in the --help table.
	for _, code := range []int{OK, Failed, Usage, Locked, VaultUnavailable, VaultDenied, RecordInvalid,
		ImageNotFound, PromotionRefused, Interrupted, Terminated} {
		if !seen[code] {
			t.Errorf("code %d missing from Table", code)
		}
	}
	if Interrupted != 128+2 || Terminated != 128+15 {
		t.Errorf("signal codes %d/%d, want 130/143 (128 + signal number)", Interrupted, Terminated)
	}
}
