package main

import (
	"encoding/json"
	"net/http"
	"os"
)

// health is the /healthz answer.
type health struct {
	Status   string `json:"status"`
	Image    string `json:"image"`
	Version  string `json:"version"`
	Hostname string `json:"hostname,omitempty"`
}

// newHandler serves /healthz (JSON: status, image, version, hostname), /facts (see facts.go)
// and a one-line page at /.
func newHandler(image, version string) http.Handler {
	return newHandlerOn(thisMachine, image, version)
}

func newHandlerOn(sys system, image, version string) http.Handler {
	host, _ := os.Hostname()
	h := health{Status: "ok", Image: image, Version: version, Hostname: host}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(h)
	})
	mux.HandleFunc("GET /facts", factsHandler(sys))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("kiln-demo " + version + " on image " + image + "\n"))
	})
	return mux
}
