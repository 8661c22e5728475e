package load_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/load"
	"github.com/drillkit/drill/pkg/metric"
)

// A run: ramp to 200/s, hold, stream raw results to results.bin, aggregate
// as results arrive and print a progress line per settled second.
func Example() {
	lab := netip.MustParsePrefix("198.18.0.0/15")
	cfg := load.Config{
		Phases: []load.Phase{
			{Duration: 10 * time.Second, From: vegeta.Rate{Freq: 0, Per: time.Second}, To: vegeta.Rate{Freq: 200, Per: time.Second}},
			{Duration: 50 * time.Second, From: vegeta.Rate{Freq: 200, Per: time.Second}, To: vegeta.Rate{Freq: 200, Per: time.Second}},
		},
		KeepAlive: true,
		Timeout:   5 * time.Second,
		Requests:  []load.Request{{Name: "home", URL: "http://127.0.0.1:8080/"}},
		Allow: func(a netip.Addr) error {
			if a.IsLoopback() || lab.Contains(a) {
				return nil
			}
			return fmt.Errorf("%s is outside loopback and the lab", a)
		},
	}
	attack, err := load.NewAttack(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	f, err := os.Create("results.bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer f.Close()
	w := load.NewResultsWriter(f)
	start := time.Now()
	rec := metric.New(metric.Options{Start: start, BackendHeader: "X-Backend", Settle: cfg.Timeout + 5*time.Second})

	var received uint64
	next := start.Add(time.Second)
	err = attack.Run(context.Background(), func(r *vegeta.Result) {
		received++
		rec.Add(r)
		if err := w.Write(r); err != nil {
			return // reported by Close below
		}
		if now := time.Now(); now.After(next) {
			next = now.Add(time.Second)
			for _, s := range rec.Seconds(now.Add(-2 * time.Second)) {
				ok, _ := s.Value("success_rate")
				fmt.Printf("t=%ds %d req, %.2f%% ok, p99 %s, %d in flight\n", s.T, s.Requests, 100*ok, s.P99, attack.Sent()-received)
			}
		}
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	sum := rec.Summary()
	p99, _ := sum.Value("p99")
	fmt.Printf("%d requests, p99 %.3fs\n", sum.Requests, p99)
}
