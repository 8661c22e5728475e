package load

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// TestCheckReachable dials every host once through the load's own guard: a
// listening server passes, a closed port fails with the address and advice,
// and a refused address is never connected to.
func TestCheckReachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			c.Close()
		}
	}()
	open := "http://" + ln.Addr().String()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	ctx := context.Background()

	if err := CheckReachable(ctx, Config{Requests: []Request{{URL: open + "/a"}, {URL: open + "/b"}}}); err != nil {
		t.Fatalf("a listening server: %v", err)
	}
	<-accepted
	if len(accepted) != 0 {
		t.Errorf("two requests to one host opened %d connections, want 1", 1+len(accepted))
	}
	err = CheckReachable(ctx, Config{Requests: []Request{{URL: "http://" + closedAddr + "/"}}})
	if err == nil || !strings.Contains(err.Error(), "cannot reach "+closedAddr) || !strings.Contains(err.Error(), "drill echo") {
		t.Errorf("a closed port: %v, want cannot reach %s with advice", err, closedAddr)
	}
	var asked []netip.Addr
	err = CheckReachable(ctx, Config{Requests: []Request{{URL: "http://192.0.2.1:80/"}}, Allow: func(a netip.Addr) error {
		asked = append(asked, a)
		return Loopback(a)
	}})
	var na *NotAllowedError
	if !errors.As(err, &na) || len(asked) != 1 {
		t.Errorf("a refused address: %v (guard asked about %v), want a NotAllowedError before connecting", err, asked)
	}
}
