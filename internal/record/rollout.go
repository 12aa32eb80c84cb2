package record

import (
	"errors"
	"fmt"
)

// The values of Promotion.Outcome. An empty Outcome (every record written before
// strategies existed, and every replace promotion) means promoted.
const (
	OutcomePromoted   = "promoted"
	OutcomeRolledBack = "rolled_back"
)

// Rollout is how a blue-green or canary promotion went (kiln-promote with a
// promote.strategy other than replace): which slot the image went to, every phase with the
// figures the load balancer's statistics gave for it, and why it rolled back if it did.
type Rollout struct {
	Type         string `json:"type"`                    // blue-green or canary
	Slot         string `json:"slot"`                    // the slot the image went to: blue or green
	PreviousSlot string `json:"previous_slot,omitempty"` // the slot that served before, if any
	// Gate names the gate that failed ("check health", "canary step 1 (10%)", "health
	// after the switch"); Reason says how. Both empty when the image was promoted.
	Gate   string  `json:"gate,omitempty"`
	Reason string  `json:"reason,omitempty"`
	Phases []Phase `json:"phases,omitempty"`
}

// Phase is one phase of a rollout: bringing the slot up, its checks, a traffic step or the
// drain after the switch, and the new slot's figures over it.
type Phase struct {
	Name       string `json:"name"`   // up, checks, step 1, switch, drain, rollback, scale down
	Weight     int    `json:"weight"` // the new slot's share of traffic during the phase, percent
	Status     string `json:"status"` // StatusPassed or StatusFailed
	DurationMS int64  `json:"duration_ms"`
	// Requests and Errors count the new slot's requests over the phase and those that failed
	// (5xx responses, connection and response errors), from the load balancer's statistics.
	Requests int64 `json:"requests,omitempty"`
	Errors   int64 `json:"errors,omitempty"`
	// LatencyMS is the slot's latency figure at the end of the phase (see docs/strategies.md).
	LatencyMS int64  `json:"latency_ms,omitempty"`
	Message   string `json:"message,omitempty"`
}

// Done reports whether p records a promotion that is in place: not nil and not rolled back.
func (p *Promotion) Done() bool { return p != nil && p.Outcome != OutcomeRolledBack }

// validateOutcome checks a promotion's outcome and rollout: a known outcome, and a rolled
// back promotion saying which gate failed and why.
func (p *Promotion) validateOutcome() error {
	switch p.Outcome {
	case "", OutcomePromoted, OutcomeRolledBack:
	default:
		return fmt.Errorf("promotion.outcome is %q, want %q or %q", p.Outcome, OutcomePromoted, OutcomeRolledBack)
	}
	s := p.Strategy
	if s == nil {
		if p.Outcome == OutcomeRolledBack {
			return errors.New("promotion.outcome is rolled_back without a strategy section")
		}
		return nil
	}
	switch {
	case s.Type == "" || s.Slot == "":
		return errors.New("promotion.strategy needs its type and slot")
	case p.Outcome == OutcomeRolledBack && (s.Gate == "" || s.Reason == ""):
		return errors.New("promotion.strategy of a rolled back promotion needs its gate and reason")
	}
	for i, ph := range s.Phases {
		if ph.Status != StatusPassed && ph.Status != StatusFailed {
			return fmt.Errorf("promotion.strategy.phases[%d].status is %q, want %q or %q", i, ph.Status, StatusPassed, StatusFailed)
		}
		if ph.Requests < 0 || ph.Errors < 0 || ph.Errors > ph.Requests {
			return fmt.Errorf("promotion.strategy.phases[%d] counts do not add up (requests %d, errors %d)", i, ph.Requests, ph.Errors)
		}
	}
	return nil
}
