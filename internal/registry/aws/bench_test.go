package aws_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/kiln-ci/kiln/internal/lifecycle"
	"github.com/kiln-ci/kiln/internal/lifecycle/lifecycletest"
	"github.com/kiln-ci/kiln/internal/registry"
	"github.com/kiln-ci/kiln/internal/registry/aws"
	"github.com/kiln-ci/kiln/internal/registry/aws/awsfake"
)

// BenchmarkRotate10k: the rotation of a 10,000-AMI family (lifecycletest.BenchImage:
// steady, a day's rotation; backlog, the first rotation ever) with 100 instances, 20
// launch templates and 5 launch configurations, against the fake with no latency and with
// 2ms per call.
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
		f := awsfake.New(b)
		for n := 0; n < lifecycletest.BenchImages; n++ {
			created, state, dates := lifecycletest.BenchImage(n, backlog)
			img := awsfake.Image{ID: ami(n), Name: fmt.Sprintf("demo-web-%05d", n), Created: created,
				Tags: map[string]string{"kiln-family": "demo-web"}, Snapshots: []string{fmt.Sprintf("snap-%05d", n)}}
			if state != registry.Ready {
				img.Tags[aws.TagState], img.Tags[aws.TagDeprecatedAt] = string(state), dates.Deprecated.Format(time.RFC3339)
				img.Deprecate = dates.Deprecated
			}
			if state == registry.Obsolete {
				img.Tags[aws.TagObsoleteAt], img.Disabled = dates.Obsolete.Format(time.RFC3339), true
			}
			f.AddImage(img)
			switch {
			case n%100 == 0:
				f.RunInstance(fmt.Sprintf("i-%05d", n), ami(n))
			case n%500 == 1:
				f.AddTemplateVersion(fmt.Sprintf("lt-%d", n), ami(n))
			case n%2000 == 2:
				f.SetLaunchConfiguration(fmt.Sprintf("lc-%d", n), ami(n))
			}
		}
		f.Latency = latency
		reg := open(b, f, aws.PointerTag)
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
