//go:build lab

package agent

import (
	"context"
	"net"
	"os/exec"
	"reflect"
	"slices"
	"testing"

	"github.com/drillkit/drill/pkg/netns"
	"github.com/drillkit/drill/pkg/netns/netnstest"
)

// TestEmulatedIPVSWithRealNFT loads the emulation ruleset ipvsemu-table.txt
// into a network namespace whose loopback holds the cluster IP and the
// backends, opens connections to the cluster IP through it and collects the
// IPVS part as the agent does there: the virtual and real servers from real
// `nft -j` output, and one active connection per backend (round robin).
func TestEmulatedIPVSWithRealNFT(t *testing.T) {
	ns := netnstest.New(t, "drill-ipvsemu", false)
	for _, args := range [][]string{
		{"ip", "netns", "exec", ns, "nft", "-f", "testdata/ipvsemu-table.txt"},
		{"ip", "-n", ns, "addr", "add", "198.19.128.10/32", "dev", "lo"},
		{"ip", "-n", ns, "addr", "add", "198.19.1.2/32", "dev", "lo"},
		{"ip", "-n", ns, "addr", "add", "198.19.2.2/32", "dev", "lo"},
		{"ip", "-n", ns, "addr", "add", "198.19.3.2/32", "dev", "lo"},
	} {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v: %s", args, err, out)
		}
	}
	run := func(ctx context.Context, name string, args ...string) (string, error) {
		return runCommand(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
	}
	var v IPVS
	err := netns.Do(netns.Path(ns), func() error {
		l, err := net.Listen("tcp4", "0.0.0.0:8080")
		if err != nil {
			return err
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
			}
		}()
		for range 3 {
			c, err := net.Dial("tcp4", "198.19.128.10:80")
			if err != nil {
				return err
			}
			defer c.Close()
		}
		v = collectIPVS(context.Background(), t.TempDir(), run)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !v.Available || !v.Emulated || v.ConnectionsReason != "" {
		t.Fatalf("IPVS part %+v", v)
	}
	want := emulatedIPVSWant()
	for i := range want {
		want[i].Real = slices.Clone(want[i].Real) // the want shares one slice between servers
		for j := range want[i].Real {
			want[i].Real[j].ActiveConn, want[i].Real[j].InactiveConn = 0, 0
			if i == 0 {
				want[i].Real[j].ActiveConn = 1
			}
		}
	}
	if !reflect.DeepEqual(v.Virtual, want) {
		t.Errorf("got %+v\nwant %+v", v.Virtual, want)
	}
}
