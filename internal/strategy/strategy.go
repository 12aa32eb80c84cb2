// Package strategy runs kiln-promote's blue-green and canary promotions. The promote
// environment's Terraform configuration keeps two slots, blue and green, behind a load
// balancer it owns; kiln drives the sequence only through four Terraform variables (which
// slot is live, each slot's image, the green slot's share of traffic) and reads back what
// the configuration exposes as outputs: the live slot, each slot's image and outputs, and
// the load balancer's statistics URL. kiln never talks to the load balancer behind
// Terraform's back; it only reads its statistics. docs/strategies.md is the contract.
package strategy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// The two slots.
const (
	Blue  = "blue"
	Green = "green"
)

// The outputs a strategy's configuration exposes (docs/strategies.md).
const (
	OutputLiveSlot     = "live_slot"     // string: the slot that serves, "" before the first promotion
	OutputSlotImages   = "slot_images"   // map: slot -> its image, "" for none
	OutputSlotOutputs  = "slot_outputs"  // map: slot -> object of the slot's outputs (the checks' .Outputs)
	OutputStatsURL     = "stats_url"     // string: the load balancer's statistics (HAProxy CSV)
	OutputStatsBackend = "stats_backend" // string, optional: the backend whose servers are named blue and green
)

// RequiredOutputs are the outputs every strategy's configuration must declare.
var RequiredOutputs = []string{OutputLiveSlot, OutputSlotImages, OutputSlotOutputs}

// Other returns the slot that is not slot; blue when slot is neither.
func Other(slot string) string {
	if slot == Blue {
		return Green
	}
	return Blue
}

// Outputs are an environment's Terraform outputs by name, as JSON values (sensitive ones
// left out).
type Outputs map[string]json.RawMessage

// Assignment is the strategy variables of one apply.
type Assignment struct {
	Live        string // the live slot
	Blue, Green string // each slot's image; "" removes the slot
	WeightGreen int    // the green slot's share of traffic, 0..100; blue gets the rest
}

// Image returns slot's image.
func (a Assignment) Image(slot string) string {
	if slot == Green {
		return a.Green
	}
	return a.Blue
}

// Weight returns slot's share of traffic.
func (a Assignment) Weight(slot string) int {
	if slot == Green {
		return a.WeightGreen
	}
	return 100 - a.WeightGreen
}

// assign returns the assignment with live as the live slot, slot running image at weight
// percent of the traffic and the other slot running otherImage.
func assign(live, slot, image, otherImage string, weight int) Assignment {
	a := Assignment{Live: live}
	if slot == Green {
		a.Green, a.Blue, a.WeightGreen = image, otherImage, weight
	} else {
		a.Blue, a.Green, a.WeightGreen = image, otherImage, 100-weight
	}
	return a
}

// Alone is the assignment of an environment at rest: image alone in slot, all traffic.
func Alone(slot, image string) Assignment { return assign(slot, slot, image, "", 100) }

// Vars returns a as Terraform variables under names (live_slot, image_blue, image_green,
// weight_green, in that order), as strings: Terraform converts "10" for a number variable.
func (a Assignment) Vars(names []string) map[string]string {
	return map[string]string{names[0]: a.Live, names[1]: a.Blue, names[2]: a.Green, names[3]: strconv.Itoa(a.WeightGreen)}
}

// String describes a for the log: "live blue; blue=IMG (100%), green=IMG (0%)".
func (a Assignment) String() string {
	slot := func(s string) string {
		if a.Image(s) == "" {
			return s + " empty"
		}
		return fmt.Sprintf("%s=%s (%d%%)", s, a.Image(s), a.Weight(s))
	}
	return fmt.Sprintf("live %s; %s, %s", a.Live, slot(Blue), slot(Green))
}

// Current is what the environment runs, as its outputs say.
type Current struct {
	Live         string            // "" before the first promotion
	Images       map[string]string // slot -> image ("" for none)
	Slots        map[string]Outputs
	StatsURL     string
	StatsBackend string
}

// Read returns what outs say the environment runs. Outputs that are all missing (an
// environment never applied) are the empty Current; malformed ones are an error naming the
// output.
func Read(outs Outputs) (Current, error) {
	c := Current{Images: map[string]string{}, Slots: map[string]Outputs{}}
	for _, f := range []struct {
		name string
		into any
	}{{OutputLiveSlot, &c.Live}, {OutputSlotImages, &c.Images}, {OutputSlotOutputs, &c.Slots},
		{OutputStatsURL, &c.StatsURL}, {OutputStatsBackend, &c.StatsBackend}} {
		v, ok := outs[f.name]
		if !ok || string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, f.into); err != nil {
			return Current{}, fmt.Errorf("output %s: %s is not %s", f.name, short(v), shape(f.name))
		}
	}
	if c.Live != "" && c.Live != Blue && c.Live != Green {
		return Current{}, fmt.Errorf("output %s: %q is neither %s nor %s", OutputLiveSlot, c.Live, Blue, Green)
	}
	for _, s := range slices.Sorted(maps.Keys(c.Images)) {
		if s != Blue && s != Green {
			return Current{}, fmt.Errorf("output %s: slot %q is neither %s nor %s", OutputSlotImages, s, Blue, Green)
		}
	}
	if c.Live != "" && c.Images[c.Live] == "" {
		return Current{}, fmt.Errorf("output %s: the live slot %s runs no image", OutputSlotImages, c.Live)
	}
	return c, nil
}

// SlotOutputs returns the outputs checks of slot are rendered with: the environment's
// outputs, with the slot's own (from slot_outputs) in their place.
func (c Current) SlotOutputs(all Outputs, slot string) Outputs {
	out := Outputs{}
	for k, v := range all {
		out[k] = v
	}
	for k, v := range c.Slots[slot] {
		out[k] = v
	}
	return out
}

func shape(output string) string {
	switch output {
	case OutputSlotImages:
		return `a map of slot to image, such as {"blue": "IMAGE", "green": ""}`
	case OutputSlotOutputs:
		return `a map of slot to an object of outputs, such as {"blue": {"address": "10.0.0.1:80"}}`
	}
	return "a string"
}

func short(v json.RawMessage) string {
	if len(v) > 60 {
		return string(v[:60]) + "..."
	}
	return string(v)
}
