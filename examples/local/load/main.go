// kiln-load sends a steady load to a URL until it is stopped (SIGINT, SIGTERM) or -max
// passes, then prints what its clients saw on one line: requests, failures, p50/p99/max
// latency and the longest stretch of failures. scripts/demo.sh runs it against prod's load
// balancer while kiln-promote rolls out a new image.
//
//	kiln-load -url http://127.0.0.1:24100/ -rate 20 [-max 10m] [-json FILE]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kiln-ci/kiln/internal/loadgen"
)

func main() {
	url := flag.String("url", "", "the URL to GET")
	rate := flag.Int("rate", 20, "requests per second")
	limit := flag.Duration("max", 10*time.Minute, "stop after this long at most")
	out := flag.String("json", "", "also write the figures to this file, as JSON")
	flag.Parse()
	if *url == "" || *rate < 1 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: kiln-load -url URL [-rate N] [-max D] [-json FILE]")
		os.Exit(2)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	l := loadgen.Start(*url, *rate, *limit)
	timer := time.NewTimer(*limit)
	select {
	case <-stop:
	case <-timer.C:
	}
	f := l.Stop()
	fmt.Printf("load on %s at %d/s: %s\n", *url, *rate, f)
	if *out != "" {
		b, _ := json.Marshal(map[string]any{"requests": f.Requests, "failed": f.Failed,
			"p50_ms": ms(f.P50), "p99_ms": ms(f.P99), "max_ms": ms(f.Max), "outage_ms": ms(f.Outage), "first_error": f.FirstError})
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "kiln-load:", err)
			os.Exit(1)
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
