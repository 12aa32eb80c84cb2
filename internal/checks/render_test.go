package checks

import (
	"strings"
	"testing"
)

func TestRender(t *testing.T) {
	type data struct{ Outputs map[string]any }
	outputs := data{Outputs: map[string]any{"address": "127.0.0.1:8080", "port": 2222}}
	tests := []struct {
		name, tmpl string
		data       any
		want       string
		wantErr    string
	}{
		{"outputs", "http://{{ .Outputs.address }}/healthz", outputs, "http://127.0.0.1:8080/healthz", ""},
		{"number", "127.0.0.1:{{ .Outputs.port }}", outputs, "127.0.0.1:2222", ""},
		{"no template", "http://127.0.0.1/", outputs, "http://127.0.0.1/", ""},
		{"no HTML escaping", "{{ .Outputs.q }}", data{Outputs: map[string]any{"q": "a&b<c>"}}, "a&b<c>", ""},
		{"missing output", "http://{{ .Outputs.adress }}/healthz", outputs, "",
			`render "http://{{ .Outputs.adress }}/healthz": .Outputs.adress is not set (no key "adress")`},
		{"missing output, the outputs listed", "http://{{ .Outputs.adress }}/", map[string]any{"Outputs": map[string]any{"address": "a", "port": 1}}, "",
			`.Outputs.adress is not set (no key "adress"; have: address, port)`},
		{"missing output, none at all", "{{ .Outputs.adress }}", map[string]any{"Outputs": map[string]any{}}, "",
			`(no key "adress"; there are none)`},
		{"no outputs at all", "{{ .Outputs.address }}", map[string]any{}, "",
			`.Outputs.address is not set (no key "Outputs")`},
		{"nil outputs", "{{ .Outputs.address }}", data{}, "", `.Outputs.address is not set (no key "address")`},
		{"unknown field", "{{ .Output.address }}", outputs, "", "can't evaluate field Output"},
		{"syntax", "{{ .Outputs.address", outputs, "", `parse template "{{ .Outputs.address": template: check:1: unclosed action`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Render(tt.tmpl, tt.data)
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("Render = %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Render error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
