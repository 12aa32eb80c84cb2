// Command kiln-demo is the demo web service of kiln's local example: baked into the image
// by Packer, run by systemd as the unit kiln-demo, it answers /healthz with its version and
// the name of the image it was baked into, so a check can tell which image it reached.
//
//	kiln-demo -addr :8080 -image-name-file /etc/kiln-demo/image-name [-fail-rate 0.3]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// version is set at link time: -ldflags "-X main.version=1.2.3".
var version = "dev"

func main() {
	addr := flag.String("addr", ":8080", "the address to listen on")
	nameFile := flag.String("image-name-file", "/etc/kiln-demo/image-name", "the file holding the image's name, written at bake time")
	failRate := flag.String("fail-rate", "0", "answer 500 to this share (0..1) of the requests, except /healthz (for canary tests)")
	flag.Parse()
	rate, err := parseRate(*failRate)
	if err != nil {
		log.Fatalf("kiln-demo: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	image := readImageName(*nameFile)
	if err := serve(ctx, *addr, image, failing(newHandler(image, version), rate)); err != nil {
		log.Fatalf("kiln-demo: %v", err)
	}
}

// readImageName returns the image name in path, or "unknown" when it cannot be read.
func readImageName(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		log.Printf("kiln-demo: image name: %v", err)
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// serve answers HTTP on addr with h (image's handler) until ctx ends, then shuts down
// gracefully.
func serve(ctx context.Context, addr, image string, h http.Handler) error {
	srv := &http.Server{Addr: addr, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Printf("kiln-demo %s serving image %s on %s", version, image, addr)
	select {
	case err := <-errc:
		return fmt.Errorf("listen %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
