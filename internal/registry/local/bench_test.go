package local_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/kiln-ci/kiln/internal/lifecycle"
	"github.com/kiln-ci/kiln/internal/lifecycle/lifecycletest"
	"github.com/kiln-ci/kiln/internal/registry"
)

// BenchmarkRotate10k: the rotation of a 10,000-image local family (lifecycletest.BenchImage:
// steady, a day's rotation; backlog, the first rotation ever), 100 of them in use.
func BenchmarkRotate10k(b *testing.B) {
	for _, backlog := range []bool{false, true} {
		b.Run(fmt.Sprintf("backlog=%v", backlog), func(b *testing.B) {
			var moves int
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				w := newWorld(b)
				ctx := context.Background()
				for n := 0; n < lifecycletest.BenchImages; n++ {
					created, state, dates := lifecycletest.BenchImage(n, backlog)
					id := w.Bake(b, "demo-web", n, created)
					if state != registry.Ready {
						if err := w.reg.SetState(ctx, id, state, dates); err != nil {
							b.Fatal(err)
						}
					}
					if n%100 == 0 {
						w.Use(b, id, "environment prod")
					}
				}
				b.StartTimer()
				rows, err := lifecycletest.BenchRotation(w.reg, w.Uses()).Plan(ctx)
				if err != nil {
					b.Fatal(err)
				}
				rep := lifecycle.Apply(ctx, w.reg, rows, io.Discard)
				if rep.Stopped != "" {
					b.Fatal(rep.Stopped)
				}
				b.StopTimer()
				moves = len(rep.Done)
				b.Logf("%d images, %d transitions", len(rows), moves)
			}
			b.ReportMetric(float64(moves), "transitions/op")
		})
	}
}
