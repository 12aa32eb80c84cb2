package gcp_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/lifecycle"
	"github.com/kiln-ci/kiln/internal/lifecycle/lifecycletest"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/gcp/gcpfake"
)

// BenchmarkRotate10k: the rotation of a 10,000-image family (lifecycletest.BenchImage:
// steady, a day's rotation; backlog, the first rotation ever) with 100 instances and 20
// instance templates, against the fake with no latency and with 2ms per call.
func BenchmarkRotate10k(b *testing.B) {
	for _, backlog := range []bool{false, true} {
		for _, latency := range []time.Duration{0, 2 * time.Millisecond} {
			b.Run(fmt.Sprintf("backlog=%v/latency=%s", backlog, latency), func(b *testing.B) {
				benchRotate(b, backlog, latency)
			})
		}
	}
}

func benchRotate(b *testing.B, backlog bool, latency time.Duration) {
	var calls, moves int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := gcpfake.New(b, "p")
		for n := 0; n < lifecycletest.BenchImages; n++ {
			created, state, dates := lifecycletest.BenchImage(n, backlog)
			img := gcpfake.Image{Name: fmt.Sprintf("demo-web-%05d", n), Family: "demo-web", Created: created}
			if state != registry.Ready {
				img.Deprecated = &gcpfake.Deprecation{State: string(state), Deprecated: stamp(dates.Deprecated), Obsolete: stamp(dates.Obsolete)}
			}
			f.AddImage(img)
			if n%100 == 0 {
				f.AddInstance(fmt.Sprintf("vm-%d", n), img.Name)
			}
			if n%500 == 0 {
				f.SetTemplate(fmt.Sprintf("t-%d", n), img.Name)
			}
		}
		f.Latency = latency
		reg := open(b, f)
		before := f.Total()
		b.StartTimer()
		rows, err := lifecycletest.BenchRotation(reg, nil).Plan(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		rep := lifecycle.Apply(context.Background(), reg, rows, io.Discard)
		if rep.Stopped != "" {
			b.Fatal(rep.Stopped)
		}
		b.StopTimer()
		calls, moves = f.Total()-before, len(rep.Done)
		b.Logf("%d images, %d transitions, %d API calls: %v", len(rows), moves, calls, f.Calls())
	}
	b.ReportMetric(float64(calls), "api-calls/op")
	b.ReportMetric(float64(moves), "transitions/op")
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}
