package main

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	h := newHandler("demo-web-20261121-abc12345", "1.2.3")
	tests := []struct {
		name, method, path string
		status             int
		contains           string
	}{
		{"healthz", "GET", "/healthz", 200, `"image":"demo-web-20261121-abc12345"`},
		{"healthz version", "GET", "/healthz", 200, `"version":"1.2.3"`},
		{"index", "GET", "/", 200, "on image demo-web-20261121-abc12345"},
		{"unknown path", "GET", "/nope", 404, ""},
		{"wrong method", "POST", "/healthz", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if !strings.Contains(rec.Body.String(), tt.contains) {
				t.Fatalf("body %q lacks %q", rec.Body.String(), tt.contains)
			}
		})
	}
}

func TestHealthzJSON(t *testing.T) {
	rec := httptest.NewRecorder()
	newHandler("img", "v").ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
	var got health
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Status != "ok" || got.Image != "img" || got.Version != "v" {
		t.Fatalf("got %+v", got)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
}

func TestReadImageName(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content, want string
		missing             bool
	}{
		{"trailing newline", "demo-web-1\n", "demo-web-1", false},
		{"crlf", "demo-web-2\r\n", "demo-web-2", false},
		{"missing file", "", "unknown", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			if !tt.missing {
				if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if got := readImageName(p); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
