package alb

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// BenchmarkProxy measures one keep-alive GET through the ALB to a loopback
// target, against the same GET sent directly.
func BenchmarkProxy(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	lb, err := Start(context.Background(), Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer lb.Close()
	tg, _ := lb.CreateTargetGroup(TargetGroupConfig{Name: "bench"})
	lb.SetRules([]Rule{{TargetGroup: tg}})
	tg.Register(spec(hostPort(srv.URL)))
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

// BenchmarkDial compares a loopback dial from this namespace with one made
// through NetnsDialer (setns there and back on a locked thread).
func BenchmarkDial(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	ns := "albbench-" + strconv.Itoa(os.Getpid())
	if err := exec.Command("ip", "netns", "add", ns).Run(); err != nil {
		b.Skip(err)
	}
	defer exec.Command("ip", "netns", "del", ns).Run()
	exec.Command("ip", "-n", ns, "link", "set", "lo", "up").Run()
	ln := listenInNetns(b, "/run/netns/"+ns)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	dial, err := NetnsDialer("/run/netns/" + ns)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("netns", func(b *testing.B) {
		for b.Loop() {
			c, err := dial(context.Background(), "tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
	})
	local := httptest.NewServer(http.NotFoundHandler())
	defer local.Close()
	direct := DirectDialer()
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			c, err := direct(context.Background(), "tcp", hostPort(local.URL))
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
	})
}
