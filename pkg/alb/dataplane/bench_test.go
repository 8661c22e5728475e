package dataplane_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/dataplane/dataplanetest"
)

// BenchmarkProxy measures one keep-alive GET through the ALB to a loopback
// target, against the same GET sent directly.
func BenchmarkProxy(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	lb, err := dataplane.Start(context.Background(), dataplane.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer lb.Close()
	tg, _ := lb.CreateTargetGroup(dataplane.TargetGroupConfig{Name: "bench"})
	lb.SetRules([]dataplane.Rule{{TargetGroup: tg}})
	tg.Register(dataplanetest.Spec(dataplanetest.HostPort(srv.URL)))
	for _, c := range []struct{ name, url string }{{"direct", srv.URL}, {"alb", lb.URL()}} {
		b.Run(c.name, func(b *testing.B) {
			client := &http.Client{}
			for b.Loop() {
				resp, err := client.Get(c.url + "/")
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatal(resp.Status)
				}
			}
		})
	}
}
