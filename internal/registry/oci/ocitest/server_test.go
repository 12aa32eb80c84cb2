package ocitest

import (
	"net/http"
	"testing"
)

// TestStart: a registry with TLS and htpasswd answers /v2/ with 401 without a login and 200
// with one, over HTTPS trusted through the generated CA.
func TestStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a registry server")
	}
	s := Start(t, Options{Auth: true, TLS: true})
	hc := s.Client()
	get := func(login bool) int {
		req, err := http.NewRequest(http.MethodGet, s.URL()+"/v2/", nil)
		if err != nil {
			t.Fatal(err)
		}
		if login {
			req.SetBasicAuth(s.User, s.Password)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(false); code != http.StatusUnauthorized {
		t.Errorf("without a login: %d, want 401", code)
	}
	if code := get(true); code != http.StatusOK {
		t.Errorf("with a login: %d, want 200", code)
	}
	if _, err := http.Get(s.URL() + "/v2/"); err == nil {
		t.Error("the default client trusts the test CA")
	}
	plain := Start(t, Options{})
	resp, err := http.Get(plain.URL() + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !plain.PlainHTTP {
		t.Errorf("plain registry: %d", resp.StatusCode)
	}
	s.Stop()
	if _, err := hc.Get(s.URL() + "/v2/"); err == nil {
		t.Error("the registry still answers after Stop")
	}
}
