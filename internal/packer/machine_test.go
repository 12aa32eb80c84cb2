package packer

import (
	"reflect"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Line
		ok   bool
	}{
		{
			name: "ui say without target",
			in:   "1700000000,,ui,say,==> file.image: Creating file...",
			want: Line{Timestamp: 1700000000, Type: "ui", Data: []string{"say", "==> file.image: Creating file..."}},
			ok:   true,
		},
		{
			name: "artifact with target",
			in:   "1700000001,qemu.base,artifact,0,file,0,output/base.qcow2",
			want: Line{Timestamp: 1700000001, Target: "qemu.base", Type: "artifact", Data: []string{"0", "file", "0", "output/base.qcow2"}},
			ok:   true,
		},
		{
			name: "escaped comma newline and carriage return",
			in:   `1,amazon-ebs.web,artifact,0,string,AMIs were created:\nus-east-1: ami-1%!(PACKER_COMMA) done\r`,
			want: Line{Timestamp: 1, Target: "amazon-ebs.web", Type: "artifact", Data: []string{"0", "string", "AMIs were created:\nus-east-1: ami-1, done\r"}},
			ok:   true,
		},
		{
			name: "no data",
			in:   "5,,artifact-count",
			want: Line{Timestamp: 5, Type: "artifact-count", Data: []string{}},
			ok:   true,
		},
		{
			name: "empty data field",
			in:   "5,,ui,say,",
			want: Line{Timestamp: 5, Type: "ui", Data: []string{"say", ""}},
			ok:   true,
		},
		{name: "plain text", in: "Warning: plugin not found", ok: false},
		{name: "two fields", in: "17,abc", ok: false},
		{name: "timestamp not a number", in: "17a,,ui,say,hi", ok: false},
		{name: "negative timestamp", in: "-1,,ui,say,hi", ok: false},
		{name: "empty type", in: "17,,,say,hi", ok: false},
		{name: "type with a space", in: "2024,Jan 5,big news, everyone", ok: false},
		{name: "timestamp overflows", in: "99999999999999999999,,ui,say,hi", ok: false},
		{name: "empty", in: "", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseLine(tt.in)
			if ok != tt.ok {
				t.Fatalf("ParseLine(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			}
			if ok && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseLine(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"", ""},
		{"plain", "plain"},
		{"a%!(PACKER_COMMA)b%!(PACKER_COMMA)c", "a,b,c"},
		{`line1\nline2\r\n`, "line1\nline2\r\n"},
		// Unescaping is one pass: an escape's output is never read again.
		{`%!(PACKER_COMMA)\\n`, ",\\\n"},
		{"%!(PACKER_COMMA", "%!(PACKER_COMMA"},
		{"héllo\\n wörld", "héllo\n wörld"},
	}
	for _, tt := range tests {
		if got := Unescape(tt.in); got != tt.want {
			t.Errorf("Unescape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
