package checks

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func TestHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/create":
			if r.Method != http.MethodPost {
				http.Error(w, "want POST", http.StatusMethodNotAllowed)
				return
			}
			w.WriteHeader(http.StatusCreated)
		case "/auth":
			if r.Header.Get("Authorization") != "Bearer s3cret-token" || r.Host != "app.internal" {
				http.Error(w, "denied", http.StatusForbidden)
				return
			}
			fmt.Fprint(w, "welcome")
		case "/moved":
			http.Redirect(w, r, "/elsewhere", http.StatusMovedPermanently)
		case "/big":
			fmt.Fprint(w, strings.Repeat("x", maxBody)+"needle")
		default:
			fmt.Fprint(w, "ok")
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name   string
		h      HTTP
		passed bool
		want   string
	}{
		{"defaults", HTTP{URL: srv.URL + "/"}, true, "GET " + srv.URL + "/: status 200"},
		{"method and status", HTTP{URL: srv.URL + "/create", Method: "POST", Status: 201}, true,
			"POST " + srv.URL + "/create: status 201"},
		{"headers and Host", HTTP{URL: srv.URL + "/auth", BodyContains: "welcome",
			Headers: map[string]string{"Authorization": "Bearer s3cret-token", "Host": "app.internal"}}, true,
			"GET " + srv.URL + `/auth: status 200, body contains "welcome"`},
		{"redirect not followed", HTTP{URL: srv.URL + "/moved", Status: 301}, true,
			"GET " + srv.URL + "/moved: status 301"},
		{"body read up to 1 MiB", HTTP{URL: srv.URL + "/big", BodyContains: "needle"}, false,
			"GET " + srv.URL + `/big: status 200, body (first 1 MiB) does not contain "needle"`},
		{"userinfo stripped", HTTP{URL: "http://admin:hunter2@" + host + "/create"}, false,
			"GET " + srv.URL + "/create: status 405, want 200"},
		{"header values never shown", HTTP{URL: srv.URL + "/auth",
			Headers: map[string]string{"Authorization": "Bearer wrong-s3cret"}}, false,
			"GET " + srv.URL + "/auth: status 403, want 200"},
		{"connection refused", HTTP{URL: "http://127.0.0.1:1/healthz"}, false,
			"GET http://127.0.0.1:1/healthz: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := testRunner()
			note, err := r.httpAttempt(tt.h)(context.Background())
			got := note
			if err != nil {
				got = err.Error()
			}
			if (err == nil) != tt.passed || got != tt.want {
				t.Errorf("got passed=%v %q, want passed=%v %q", err == nil, got, tt.passed, tt.want)
			}
			for _, secret := range []string{"hunter2", "admin", "s3cret"} {
				if strings.Contains(got, secret) {
					t.Errorf("message %q shows %q", got, secret)
				}
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://127.0.0.1:8080/healthz", "http://127.0.0.1:8080/healthz"},
		{"https://user:pass@example.test/x?y=1", "https://example.test/x?y=1"},
		{"https://token@example.test", "https://example.test"},
		{"http://u:p@h:bad/x", "http://h:bad/x"},           // does not parse
		{"http://u:p@w@h:bad?q=a@b", "http://h:bad?q=a@b"}, // does not parse, @ in the password
		{"u:p@h:bad", "h:bad"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHTTPDialInjected(t *testing.T) {
	srv, _ := flaky(t, 0)
	var dialed []string
	r, _, _ := testRunner()
	r.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dialed = append(dialed, network+" "+addr)
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}
	specs := []Spec{
		{Name: "web", Kind: "http", HTTP: &HTTP{URL: "http://app.invalid/healthz", BodyContains: "ok"}},
		{Name: "port", Kind: "tcp", TCP: &TCP{Address: "db.invalid:5432"}},
	}
	for _, got := range r.Run(context.Background(), specs) {
		if !got.Passed {
			t.Errorf("%s: %s", got.Name, got.Message)
		}
	}
	if want := []string{"tcp app.invalid:80", "tcp db.invalid:5432"}; !slices.Equal(dialed, want) {
		t.Errorf("dialed %q, want %q", dialed, want)
	}
}
