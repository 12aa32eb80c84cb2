package strategy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	full := Outputs{
		"address":       json.RawMessage(`"127.0.0.1:8080"`),
		"live_slot":     json.RawMessage(`"green"`),
		"slot_images":   json.RawMessage(`{"blue": "", "green": "local:sha256:aa"}`),
		"slot_outputs":  json.RawMessage(`{"blue": {"address": "127.0.0.1:1"}, "green": {"address": "127.0.0.1:2", "ssh": 22}}`),
		"stats_url":     json.RawMessage(`"http://127.0.0.1:9/stats;csv"`),
		"stats_backend": json.RawMessage(`"app"`),
	}
	c, err := Read(full)
	if err != nil {
		t.Fatal(err)
	}
	if c.Live != Green || c.Images[Green] != "local:sha256:aa" || c.Images[Blue] != "" || c.StatsURL != "http://127.0.0.1:9/stats;csv" || c.StatsBackend != "app" {
		t.Fatalf("Read = %+v", c)
	}
	got := c.SlotOutputs(full, Green)
	if string(got["address"]) != `"127.0.0.1:2"` || string(got["ssh"]) != "22" || string(got["stats_backend"]) != `"app"` {
		t.Errorf("green's outputs: %v", got)
	}
	if string(full["address"]) != `"127.0.0.1:8080"` {
		t.Error("SlotOutputs changed the environment's outputs")
	}

	empty, err := Read(Outputs{"address": json.RawMessage(`"x"`)})
	if err != nil || empty.Live != "" || len(empty.Images) != 0 {
		t.Errorf("an environment never applied: %+v, %v", empty, err)
	}
	nulls, err := Read(Outputs{"live_slot": json.RawMessage(`""`), "stats_url": json.RawMessage(`null`)})
	if err != nil || nulls.Live != "" || nulls.StatsURL != "" {
		t.Errorf("empty and null outputs: %+v, %v", nulls, err)
	}

	for _, tc := range []struct {
		name string
		outs Outputs
		want string
	}{
		{"live slot not a string", Outputs{"live_slot": json.RawMessage(`1`)}, "output live_slot: 1 is not a string"},
		{"unknown live slot", Outputs{"live_slot": json.RawMessage(`"red"`)}, `output live_slot: "red" is neither blue nor green`},
		{"images not a map", Outputs{"slot_images": json.RawMessage(`["a"]`)}, `output slot_images: ["a"] is not a map of slot to image`},
		{"unknown slot", Outputs{"slot_images": json.RawMessage(`{"red": "a"}`)}, `output slot_images: slot "red" is neither blue nor green`},
		{"live slot without image", Outputs{"live_slot": json.RawMessage(`"blue"`), "slot_images": json.RawMessage(`{"blue": ""}`)},
			"output slot_images: the live slot blue runs no image"},
		{"slot outputs not objects", Outputs{"slot_outputs": json.RawMessage(`{"blue": "x"}`)}, "output slot_outputs: {\"blue\": \"x\"} is not a map of slot to an object"},
	} {
		if _, err := Read(tc.outs); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Read error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestAssignment(t *testing.T) {
	names := []string{"live_slot", "image_blue", "image_green", "weight_green"}
	for _, tc := range []struct {
		a    Assignment
		vars map[string]string
		str  string
	}{
		{assign(Blue, Green, "new", "old", 10), map[string]string{"live_slot": "blue", "image_blue": "old", "image_green": "new", "weight_green": "10"},
			"live blue; blue=old (90%), green=new (10%)"},
		{assign(Green, Blue, "new", "old", 10), map[string]string{"live_slot": "green", "image_blue": "new", "image_green": "old", "weight_green": "90"},
			"live green; blue=new (10%), green=old (90%)"},
		{assign(Blue, Blue, "img", "", 100), map[string]string{"live_slot": "blue", "image_blue": "img", "image_green": "", "weight_green": "0"},
			"live blue; blue=img (100%), green empty"},
	} {
		if got := tc.a.Vars(names); !reflect.DeepEqual(got, tc.vars) {
			t.Errorf("Vars = %v, want %v", got, tc.vars)
		}
		if got := tc.a.String(); got != tc.str {
			t.Errorf("String = %q, want %q", got, tc.str)
		}
	}
}

func TestFirstStep(t *testing.T) {
	for _, tc := range []struct {
		name string
		cur  Current
		a    Assignment
		slot string
	}{
		{"first promotion", Current{}, Assignment{Live: Blue, Blue: "new", WeightGreen: 100}, Blue},
		{"blue live", Current{Live: Blue, Images: map[string]string{Blue: "old"}}, Assignment{Live: Blue, Blue: "old", Green: "new"}, Green},
		{"green live", Current{Live: Green, Images: map[string]string{Green: "old", Blue: "leftover"}}, Assignment{Live: Green, Blue: "new", Green: "old", WeightGreen: 100}, Blue},
		{"already live", Current{Live: Green, Images: map[string]string{Green: "new"}}, Assignment{}, ""},
	} {
		a, slot := FirstStep(tc.cur, "new")
		if a != tc.a || slot != tc.slot {
			t.Errorf("%s: FirstStep = %+v, %q; want %+v, %q", tc.name, a, slot, tc.a, tc.slot)
		}
		if slot != "" && a.Weight(slot) != 0 {
			t.Errorf("%s: the new slot gets %d%% of the traffic before its checks", tc.name, a.Weight(slot))
		}
	}
}
