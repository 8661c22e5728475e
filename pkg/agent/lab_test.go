//go:build lab

package agent_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/drillkit/drill/pkg/agent"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/netns"
)

// envCollect makes the test binary collect once and print the State: the
// lab test runs it inside a node's network namespace, as the DaemonSet runs
// the agent there.
const envCollect = "DRILL_AGENT_TEST_COLLECT"

func TestMain(m *testing.M) {
	if os.Getenv(envCollect) != "" {
		c := agent.New(agent.Config{Node: "test"})
		if err := json.NewEncoder(os.Stdout).Encode(c.Collect(context.Background())); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// collectIn runs a collection in the named network namespace.
func collectIn(t *testing.T, ctx context.Context, netns string) agent.State {
	t.Helper()
	cmd := exec.CommandContext(ctx, "nsenter", "--net="+filepath.Join("/run/netns", netns), "--", os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCollect+"=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("collect in %s: %v: %s", netns, err, stderr.String())
	}
	var st agent.State
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("decode state: %v: %s", err, out)
	}
	return st
}

// inNetns runs a command in the named network namespace.
func inNetns(t *testing.T, ctx context.Context, netns string, args ...string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, "nsenter", append([]string{"--net=" + filepath.Join("/run/netns", netns), "--"}, args...)...).Output()
	if err != nil {
		t.Fatalf("%v in %s: %v", args, netns, err)
	}
	return string(out)
}

// onNetnsThread runs fn on an OS thread switched into the named network
// namespace: sockets fn opens belong to that namespace.
func onNetnsThread(t *testing.T, name string, fn func() error) {
	t.Helper()
	if err := netns.Do(netns.Path(name), fn); err != nil {
		t.Fatalf("in %s: %v", name, err)
	}
}

// udpFlows opens n UDP flows from netns to dst (each from its own source
// port), which conntrack tracks for 30 s.
func udpFlows(t *testing.T, netns, dst string, n int) {
	t.Helper()
	onNetnsThread(t, netns, func() error {
		for i := 0; i < n; i++ {
			c, err := net.Dial("udp4", dst)
			if err != nil {
				return err
			}
			_, _ = c.Write([]byte("x"))
			c.Close()
		}
		return nil
	})
}

// lonelyResets sends n TCP RST segments that belong to no connection from
// netns to dst: conntrack counts each as invalid.
func lonelyResets(t *testing.T, netns, dst string, n int) {
	t.Helper()
	ip := net.ParseIP(dst).To4()
	onNetnsThread(t, netns, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_TCP)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		to := &unix.SockaddrInet4{Addr: [4]byte(ip)}
		for i := 0; i < n; i++ {
			hdr := make([]byte, 20)
			binary.BigEndian.PutUint16(hdr[0:], uint16(40000+i)) // source port
			binary.BigEndian.PutUint16(hdr[2:], 9)               // destination port
			binary.BigEndian.PutUint32(hdr[4:], 1)               // sequence
			hdr[12] = 5 << 4                                     // data offset
			hdr[13] = 0x04                                       // RST
			if err := unix.Sendto(fd, hdr, 0, to); err != nil {
				return err
			}
		}
		return nil
	})
}

// conntrackStats sums `conntrack -S` over CPUs.
func conntrackStats(t *testing.T, ctx context.Context, netns string) map[string]uint64 {
	t.Helper()
	sum := map[string]uint64{}
	for _, line := range strings.Split(inNetns(t, ctx, netns, "conntrack", "-S"), "\n") {
		for _, f := range strings.Fields(line) {
			k, v, ok := strings.Cut(f, "=")
			if !ok || k == "cpu" {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err == nil {
				sum[k] += n
			}
		}
	}
	return sum
}

func statsMap(s agent.ConntrackStats) map[string]uint64 {
	return map[string]uint64{
		"found": s.Found, "invalid": s.Invalid, "insert": s.Insert, "insert_failed": s.InsertFailed,
		"drop": s.Drop, "early_drop": s.EarlyDrop, "error": s.Error, "search_restart": s.SearchRestart,
		"clash_resolve": s.ClashResolve, "chaintoolong": s.ChainTooLong,
	}
}

// TestAgentInLab compares the agent's view of a lab node with the kernel's
// own tools run in the same network namespace, in each proxy mode.
func TestAgentInLab(t *testing.T) {
	labtest.Require(t)
	for _, mode := range []string{lab.ProxyIPTables, lab.ProxyNFTables, lab.ProxyIPVS} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			l := labtest.Up(ctx, t, lab.Config{Name: "ag" + mode[:3], Nodes: 1, ProxyMode: mode})
			cs, err := l.Client()
			if err != nil {
				t.Fatal(err)
			}
			node := l.Plan().Nodes[0]
			podIPs := runEcho(t, ctx, cs, 2)

			t.Run("conntrack count agrees with conntrack -C", func(t *testing.T) {
				const flows = 300
				udpFlows(t, node.Netns, net.JoinHostPort(l.Plan().VPCAddr, "9"), flows)
				var last string
				for attempt := 0; attempt < 5; attempt++ {
					before := count(t, ctx, node.Netns)
					st := collectIn(t, ctx, node.Netns)
					after := count(t, ctx, node.Netns)
					c := st.Conntrack
					if !c.Available {
						t.Fatalf("conntrack not available: %s", c.Reason)
					}
					if c.Count < flows {
						t.Fatalf("count %d after %d UDP flows", c.Count, flows)
					}
					lo, hi := min(before, after), max(before, after)
					if c.Count >= lo && c.Count <= hi {
						t.Logf("agent %d, conntrack -C %d and %d", c.Count, before, after)
						return
					}
					last = fmt.Sprintf("agent %d outside conntrack -C %d..%d", c.Count, lo, hi)
				}
				t.Fatal(last)
			})

			t.Run("conntrack max is the kernel's", func(t *testing.T) {
				want, err := lab.HostConntrackMax()
				if err != nil {
					t.Fatal(err)
				}
				if got := collectIn(t, ctx, node.Netns).Conntrack.Max; got != int64(want) {
					t.Errorf("max %d, nf_conntrack_max %d", got, want)
				}
			})

			t.Run("statistics agree with conntrack -S", func(t *testing.T) {
				const resets = 7
				start := conntrackStats(t, ctx, node.Netns)
				lonelyResets(t, node.Netns, l.Plan().VPCAddr, resets)
				var last string
				for attempt := 0; attempt < 5; attempt++ {
					before := conntrackStats(t, ctx, node.Netns)
					st := collectIn(t, ctx, node.Netns)
					after := conntrackStats(t, ctx, node.Netns)
					if st.Conntrack.Stats == nil {
						t.Fatalf("no statistics: %s", st.Conntrack.StatsReason)
					}
					if len(st.Conntrack.PerCPU) != runtime.NumCPU() {
						t.Errorf("%d CPUs in the statistics, machine has %d", len(st.Conntrack.PerCPU), runtime.NumCPU())
					}
					got := statsMap(*st.Conntrack.Stats)
					last = ""
					for k, v := range got {
						b, okb := before[k]
						a, oka := after[k]
						if !okb || !oka {
							continue // a counter this conntrack version does not print
						}
						if v < b || v > a {
							last += fmt.Sprintf(" %s=%d not in %d..%d;", k, v, b, a)
						}
					}
					if got["invalid"] < start["invalid"]+resets {
						t.Fatalf("invalid %d after %d lonely RSTs, was %d", got["invalid"], resets, start["invalid"])
					}
					if last == "" {
						t.Logf("agent %+v", *st.Conntrack.Stats)
						return
					}
				}
				t.Fatal(last)
			})

			switch mode {
			case lab.ProxyIPTables:
				t.Run("iptables counts agree with iptables-save", func(t *testing.T) {
					var last string
					for attempt := 0; attempt < 5; attempt++ {
						before := inNetns(t, ctx, node.Netns, "iptables-save")
						st := collectIn(t, ctx, node.Netns)
						after := inNetns(t, ctx, node.Netns, "iptables-save")
						if before != after {
							last = "iptables changed during the collection"
							continue
						}
						ipt := st.IPTables
						rules, chains := lineCount(before, "-A "), lineCount(before, ":")
						if !ipt.Available || ipt.Rules != rules || ipt.Chains != chains {
							t.Fatalf("agent: %d rules %d chains (%s); iptables-save: %d rules, %d chains", ipt.Rules, ipt.Chains, ipt.Reason, rules, chains)
						}
						if got := ipt.Services["default/echo"]; got != len(podIPs) {
							last = fmt.Sprintf("KUBE-SEP chains of default/echo: %d, want %d (endpoints %v); services %v", got, len(podIPs), podIPs, ipt.Services)
							time.Sleep(time.Second)
							continue
						}
						if want := lineCount(before, ":KUBE-"); ipt.KubeChains != want || want == 0 {
							t.Fatalf("KUBE- chains: agent %d, iptables-save %d", ipt.KubeChains, want)
						}
						t.Logf("%d rules, %d chains, backend %s, services %v", ipt.Rules, ipt.Chains, ipt.Backend, ipt.Services)
						return
					}
					t.Fatal(last)
				})
			case lab.ProxyNFTables:
				t.Run("nftables counts agree with nft", func(t *testing.T) {
					var last string
					for attempt := 0; attempt < 5; attempt++ {
						// Counters move with every packet (the kubelet's probes,
						// its API watches): compare the rules without them.
						before := nftCounters.ReplaceAllString(inNetns(t, ctx, node.Netns, "nft", "-j", "list", "ruleset"), "")
						st := collectIn(t, ctx, node.Netns)
						after := nftCounters.ReplaceAllString(inNetns(t, ctx, node.Netns, "nft", "-j", "list", "ruleset"), "")
						if before != after {
							last = "nftables changed during the collection"
							continue
						}
						nft := st.NFTables
						rules, chains := strings.Count(before, `{"rule": {`), strings.Count(before, `{"chain": {`)
						if !nft.Available || nft.Rules != rules || nft.Chains != chains {
							t.Fatalf("agent: %d rules %d chains (%s); nft: %d rules, %d chains", nft.Rules, nft.Chains, nft.Reason, rules, chains)
						}
						if got := nft.Services["default/echo"]; got != len(podIPs) {
							last = fmt.Sprintf("endpoint chains of default/echo: %d, want %d; services %v", got, len(podIPs), nft.Services)
							time.Sleep(time.Second)
							continue
						}
						if _, ok := nft.Tables["ip kube-proxy"]; !ok {
							t.Fatalf("no ip kube-proxy table in %v", nft.Tables)
						}
						return
					}
					t.Fatal(last)
				})
			case lab.ProxyIPVS:
				t.Run("emulated ipvs servers are the endpoints", func(t *testing.T) {
					st := collectIn(t, ctx, node.Netns)
					v := st.IPVS
					if !v.Available || !v.Emulated || !strings.Contains(v.Reason, "no ip_vs") {
						t.Fatalf("ipvs: %+v", v)
					}
					var found bool
					for _, vs := range v.Virtual {
						if vs.Service != "default/echo" {
							continue
						}
						found = true
						var got []string
						for _, r := range vs.Real {
							host, _, _ := net.SplitHostPort(r.Address)
							got = append(got, host)
						}
						sort.Strings(got)
						if strings.Join(got, ",") != strings.Join(podIPs, ",") {
							t.Errorf("virtual server %s: real servers %v, endpoints %v", vs.Address, got, podIPs)
						}
					}
					if !found {
						t.Fatalf("no virtual server for default/echo in %+v", v.Virtual)
					}
				})
				t.Run("emulated ipvs counts connections per real server", func(t *testing.T) {
					svc, err := cs.CoreV1().Services("default").Get(ctx, "echo", metav1.GetOptions{})
					if err != nil {
						t.Fatal(err)
					}
					vip := net.JoinHostPort(svc.Spec.ClusterIP, "80")
					const open = 4
					var conns []net.Conn
					defer func() {
						for _, c := range conns {
							c.Close()
						}
					}()
					onNetnsThread(t, node.Netns, func() error {
						for i := 0; i < open; i++ {
							c, err := net.DialTimeout("tcp4", vip, 5*time.Second)
							if err != nil {
								return err
							}
							conns = append(conns, c)
						}
						return nil
					})
					v := collectIn(t, ctx, node.Netns).IPVS
					if v.ConnectionsSource == "" {
						t.Fatalf("no connection counts: %s", v.ConnectionsReason)
					}
					for _, vs := range v.Virtual {
						if vs.Address != vip {
							continue
						}
						var active []int64
						for _, r := range vs.Real {
							active = append(active, r.ActiveConn)
						}
						// Round robin over 2 real servers: 2 connections each.
						if len(active) != 2 || active[0] != open/2 || active[1] != open/2 {
							t.Errorf("active connections per real server %v after %d connections to %s", active, open, vip)
						}
						return
					}
					t.Fatalf("no virtual server %s in %+v", vip, v.Virtual)
				})
			}

			t.Run("kube-proxy sync", func(t *testing.T) {
				kp := collectIn(t, ctx, node.Netns).KubeProxy
				if mode == lab.ProxyIPVS {
					// The emulation serves no metrics: the agent must say so.
					if kp.Available || kp.Reason == "" {
						t.Fatalf("kube-proxy in emulated ipvs: %+v", kp)
					}
					return
				}
				if !kp.Available || kp.Syncs == 0 || kp.LastSync == nil || kp.Mode != mode {
					t.Fatalf("kube-proxy: %+v", kp)
				}
				if d := time.Since(*kp.LastSync); d < 0 || d > 10*time.Minute {
					t.Errorf("last sync %v ago", d)
				}
			})
		})
	}
}

func count(t *testing.T, ctx context.Context, netns string) int64 {
	t.Helper()
	s := strings.TrimSpace(inNetns(t, ctx, netns, "conntrack", "-C"))
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("conntrack -C: %q", s)
	}
	return n
}

func lineCount(s, prefix string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// runEcho creates an echo Deployment of n replicas behind a NodePort
// Service and waits until the Service has n ready endpoints, which it
// returns sorted.
func runEcho(t *testing.T, ctx context.Context, cs kubernetes.Interface, n int32) []string {
	t.Helper()
	labels := map[string]string{"app": "echo"}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "echo", Namespace: "default"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &n,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "echo", Image: lab.DrillLatestImage, Args: []string{"echo", "--listen", ":8080"},
					ReadinessProbe: &corev1.Probe{
						ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}},
						PeriodSeconds: 1,
					},
				}}},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo", Namespace: "default"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Selector: labels,
			Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}
	if _, err := cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		slices, err := cs.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=echo"})
		var ips []string
		if err == nil {
			for _, s := range slices.Items {
				for _, ep := range s.Endpoints {
					if ep.Conditions.Ready != nil && *ep.Conditions.Ready && len(ep.Addresses) > 0 {
						ips = append(ips, ep.Addresses[0])
					}
				}
			}
		}
		if len(ips) == int(n) {
			sort.Strings(ips)
			// kube-proxy syncs at most every second after a change.
			time.Sleep(3 * time.Second)
			return ips
		}
		if time.Now().After(deadline) {
			t.Fatalf("echo endpoints: %v (err %v), want %d ready", ips, err, n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// nftCounters matches the counter values of `nft -j list ruleset`.
var nftCounters = regexp.MustCompile(`"packets": \d+, "bytes": \d+`)
