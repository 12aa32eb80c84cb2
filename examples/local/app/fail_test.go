package main

import (
	"net/http/httptest"
	"testing"
)

func TestFailing(t *testing.T) {
	for _, tc := range []struct {
		rate       float64
		n, failed  int
		healthzBad int
	}{{0, 100, 0, 0}, {0.3, 100, 30, 0}, {0.3, 7, 2, 0}, {0.1, 100, 10, 0}, {1, 20, 20, 0}} {
		h := failing(newHandler("img", "v"), tc.rate)
		failed, healthzBad := 0, 0
		for i := 0; i < tc.n; i++ {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			if rec.Code == 500 {
				failed++
			} else if rec.Code != 200 {
				t.Fatalf("rate %v: status %d", tc.rate, rec.Code)
			}
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
			if rec.Code != 200 {
				healthzBad++
			}
		}
		if failed != tc.failed || healthzBad != tc.healthzBad {
			t.Errorf("rate %v over %d requests: %d failed (want %d), /healthz failed %d times (want %d)",
				tc.rate, tc.n, failed, tc.failed, healthzBad, tc.healthzBad)
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, ok := range map[string]bool{"0": true, "0.3": true, "1": true, "1.5": false, "-0.1": false, "x": false, "": false} {
		if _, err := parseRate(in); (err == nil) != ok {
			t.Errorf("parseRate(%q) = %v, want ok=%v", in, err, ok)
		}
	}
}
