package lab

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

const pollInterval = 200 * time.Millisecond

// checkProcesses returns an error naming the first expected process that
// has died, with its exit status when this Lab started it and the tail of
// its log.
func (l *Lab) checkProcesses(names []string) error {
	for _, name := range names {
		status, dead := l.exitStatus(name)
		if !dead {
			continue
		}
		log := l.plan.path("logs", name+".log")
		return fmt.Errorf("%s exited%s; last lines of %s:\n%s", name, status, log, indent(logTail(log, 15)))
	}
	return nil
}

// exitStatus reports whether a lab process has died. For a process this
// Lab started, only its reaped exit counts (the /proc view can mislead for
// a moment while it execs); for others, its pidfile and /proc decide.
func (l *Lab) exitStatus(name string) (string, bool) {
	if c, ok := l.started[name]; ok {
		status, dead := c.exited()
		return " (" + status + ")", dead
	}
	if _, err := os.Stat(l.plan.path("pids", name+".pid")); err != nil {
		return "", false // not started yet
	}
	_, ok := pidOf(l.plan, name)
	return "", !ok
}

func indent(s string) string {
	if s == "" {
		return "    (empty log)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

// poll calls cond until it returns true or an error, checking that the
// lab's processes still run between calls.
func (l *Lab) poll(ctx context.Context, what string, cond func(context.Context) (bool, string, error)) error {
	names := l.processNames()
	last := ""
	for {
		if err := l.checkProcesses(names); err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		ok, detail, err := cond(ctx)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if ok {
			return nil
		}
		if detail != "" {
			last = detail
		}
		select {
		case <-ctx.Done():
			msg := fmt.Sprintf("timed out waiting for %s", what)
			if last != "" {
				msg += " (last seen: " + last + ")"
			}
			return fmt.Errorf("%s: %w", msg, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// waitRelay waits for the relay to write its listen address.
func (l *Lab) waitRelay(ctx context.Context, timeout time.Duration) (string, error) {
	return l.waitAddrFile(ctx, "the API relay to listen", l.plan.path("relay.addr"), timeout)
}

// waitAddrFile waits for a lab process to write the address it serves on
// into file.
func (l *Lab) waitAddrFile(ctx context.Context, what, file string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var addr string
	err := l.poll(ctx, what, func(context.Context) (bool, string, error) {
		b, err := os.ReadFile(file)
		if err != nil {
			return false, "", nil
		}
		addr = strings.TrimSpace(string(b))
		return addr != "", "", nil
	})
	return addr, err
}

func (l *Lab) waitAPIReady(ctx context.Context, cs kubernetes.Interface) error {
	return l.poll(ctx, "the API server /readyz", func(ctx context.Context) (bool, string, error) {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(rctx)
		if err != nil {
			return false, firstLine(err.Error()), nil
		}
		return strings.TrimSpace(string(body)) == "ok", firstLine(string(body)), nil
	})
}

func (l *Lab) waitNodesReady(ctx context.Context, cs kubernetes.Interface) error {
	want := map[string]bool{}
	for _, n := range l.plan.Nodes {
		want[n.Name] = true
	}
	reported := map[string]bool{}
	return l.poll(ctx, fmt.Sprintf("%d nodes Ready", len(want)), func(ctx context.Context) (bool, string, error) {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, firstLine(err.Error()), nil
		}
		ready := map[string]bool{}
		for _, n := range nodes.Items {
			if want[n.Name] && nodeReady(&n) {
				ready[n.Name] = true
				if !reported[n.Name] {
					reported[n.Name] = true
					l.logf("node %s Ready", n.Name)
				}
			}
		}
		var missing []string
		for n := range want {
			if !ready[n] {
				missing = append(missing, n)
			}
		}
		sort.Strings(missing)
		return len(missing) == 0, "not Ready: " + strings.Join(missing, ", "), nil
	})
}

func (l *Lab) waitDefaultServiceAccount(ctx context.Context, cs kubernetes.Interface) error {
	return l.poll(ctx, "the default ServiceAccount", func(ctx context.Context) (bool, string, error) {
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		if err != nil {
			return false, firstLine(err.Error()), nil
		}
		return true, "", nil
	})
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
