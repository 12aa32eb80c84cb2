package main

import (
	"fmt"
	"net/http"
	"sync/atomic"
)

// failing answers 500 to a share rate (0..1) of the requests h would serve, except
// /healthz: a release that passes its health checks yet fails real traffic, for kiln's
// canary tests. The share is exact, not random: request n fails when n*rate crosses an
// integer, so 0.3 fails 3 requests of every 10.
func failing(h http.Handler, rate float64) http.Handler {
	if rate <= 0 {
		return h
	}
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			h.ServeHTTP(w, r)
			return
		}
		i := n.Add(1)
		if int64(float64(i)*rate) > int64(float64(i-1)*rate) {
			http.Error(w, "kiln-demo: failing on purpose (-fail-rate)", http.StatusInternalServerError)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// parseRate reads -fail-rate: a share between 0 and 1.
func parseRate(s string) (float64, error) {
	var f float64
	if _, err := fmt.Sscanf(s, "%g", &f); err != nil || f < 0 || f > 1 {
		return 0, fmt.Errorf("-fail-rate %q: want a share between 0 and 1", s)
	}
	return f, nil
}
