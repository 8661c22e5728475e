//go:build lab

package dataplane_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/alb/dataplane/dataplanetest"
)

// needRoot skips outside CI and fails in CI when the test cannot run.
func needRoot(t *testing.T, tools ...string) {
	t.Helper()
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but prerequisites are missing: %v", missing)
	}
	t.Skipf("needs %v", missing)
}

// TestNetnsDialer dials a server that listens only inside a fresh network
// namespace: the dial must succeed through NetnsDialer and fail directly.
func TestNetnsDialer(t *testing.T) {
	needRoot(t, "ip")
	ns := "albtest-" + strconv.Itoa(os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	if out, err := exec.Command("ip", "-n", ns, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up: %v: %s", err, out)
	}
	path := "/run/netns/" + ns
	ln := listenInNetns(t, path)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, "inside")
			c.Close()
		}
	}()
	dial, err := dataplane.NetnsDialer(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // threads go back to the host namespace
		c, err := dial(context.Background(), "tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("dial in netns: %v", err)
		}
		b, _ := io.ReadAll(c)
		c.Close()
		if string(b) != "inside" {
			t.Errorf("read %q", b)
		}
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Errorf("the host namespace reached a listener that lives only in %s", ns)
	}
	if _, err := dataplane.NetnsDialer("/run/netns/no-such-ns-" + ns); err == nil {
		t.Error("NetnsDialer accepted a missing namespace")
	}
}

func listenInNetns(t testing.TB, path string) net.Listener {
	t.Helper()
	type result struct {
		ln  net.Listener
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread() // the thread exits with this goroutine
		f, err := os.Open(path)
		if err != nil {
			ch <- result{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{err: err}
			return
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		ch <- result{ln, err}
	}()
	r := <-ch
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.ln
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
	dial, err := dataplane.NetnsDialer("/run/netns/" + ns)
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
	direct := dataplane.DirectDialer()
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			c, err := direct(context.Background(), "tcp", dataplanetest.HostPort(local.URL))
			if err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
	})
}
