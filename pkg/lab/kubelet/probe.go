package kubelet

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// probeKind names a container probe.
type probeKind string

const (
	probeStartup   probeKind = "Startup"
	probeLiveness  probeKind = "Liveness"
	probeReadiness probeKind = "Readiness"
)

// handlerTarget is where a probe or hook runs: the pod's network namespace
// for exec, and the node's namespace (with the pod's IP) for network checks.
type handlerTarget struct {
	podNetns  string
	nodeNetns string
	podIP     string
	container *v1.Container
	env       []string
	// drillBinary replaces a leading drill in exec commands, as in container
	// commands, so `["drill", ...]` works in the lab and with drill's image.
	drillBinary string
	// hostname, when set, is the hostname exec commands see (a UTS namespace
	// of their own, as the container's).
	hostname string
}

// resolvePort turns a probe port (number or container port name) into a number.
func resolvePort(p intstr.IntOrString, c *v1.Container) (int, error) {
	if p.Type == intstr.Int {
		if p.IntVal <= 0 || p.IntVal > 65535 {
			return 0, fmt.Errorf("port %d is out of range", p.IntVal)
		}
		return int(p.IntVal), nil
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil {
		return resolvePort(intstr.FromInt32(int32(n)), c)
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	return 0, fmt.Errorf("port name %q is not a port of container %s", p.StrVal, c.Name)
}

// runExec runs argv inside the pod's network namespace with the container's
// environment and returns its combined output; a non-zero exit is an error.
func runExec(ctx context.Context, t handlerTarget, argv []string) (string, error) {
	if len(argv) == 0 {
		return "", fmt.Errorf("exec command is empty")
	}
	if t.drillBinary != "" && isDrillCommand(argv[0]) {
		argv = append([]string{t.drillBinary}, argv[1:]...)
	}
	shown := strings.Join(argv, " ")
	if t.hostname != "" {
		argv = utsArgv(t.hostname, argv)
	}
	full := nsenterArgv(t.podNetns, argv)
	cmd := exec.CommandContext(ctx, full[0], full[1:]...)
	cmd.Env = t.env
	cmd.WaitDelay = time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	msg := strings.TrimSpace(out.String())
	if len(msg) > 1024 {
		msg = msg[:1024]
	}
	if ctx.Err() != nil {
		return msg, fmt.Errorf("command %q timed out", shown)
	}
	if err != nil {
		return msg, fmt.Errorf("command %q: %v: %s", shown, err, msg)
	}
	return msg, nil
}

// runHTTPGet performs an httpGet check from the node's network namespace; a
// status from 200 to 399 is success. Redirects are not followed.
func runHTTPGet(ctx context.Context, t handlerTarget, h *v1.HTTPGetAction) error {
	port, err := resolvePort(h.Port, t.container)
	if err != nil {
		return err
	}
	host := h.Host
	if host == "" {
		host = t.podIP
	}
	scheme := strings.ToLower(string(h.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	path := h.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	url := fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(host, strconv.Itoa(port)), path)
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialInNetns(ctx, t.nodeNetns, network, addr)
		},
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, // as the kubelet: probes do not verify certificates
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "kube-probe/1.37")
	for _, hd := range h.HTTPHeaders {
		if strings.EqualFold(hd.Name, "Host") {
			req.Host = hd.Value
			continue
		}
		req.Header.Add(hd.Name, hd.Value)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err // names the method and URL already
	}
	defer resp.Body.Close()
	_, _ = io.CopyN(io.Discard, resp.Body, 10<<10)
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("HTTP probe failed with statuscode: %d", resp.StatusCode)
	}
	return nil
}

// runTCP opens and closes a TCP connection from the node's namespace.
func runTCP(ctx context.Context, t handlerTarget, s *v1.TCPSocketAction) error {
	port, err := resolvePort(s.Port, t.container)
	if err != nil {
		return err
	}
	host := s.Host
	if host == "" {
		host = t.podIP
	}
	c, err := dialInNetns(ctx, t.nodeNetns, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("dial tcp %s:%d: %v", host, port, err)
	}
	return c.Close()
}

// runProbe runs one probe attempt within its timeout.
func runProbe(ctx context.Context, t handlerTarget, p *v1.Probe) error {
	timeout := time.Duration(p.TimeoutSeconds) * time.Second
	if timeout <= 0 {
		timeout = time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch {
	case p.Exec != nil:
		_, err := runExec(ctx, t, p.Exec.Command)
		return err
	case p.HTTPGet != nil:
		return runHTTPGet(ctx, t, p.HTTPGet)
	case p.TCPSocket != nil:
		return runTCP(ctx, t, p.TCPSocket)
	case p.GRPC != nil:
		return fmt.Errorf("grpc probes are not supported in the lab: use httpGet, tcpSocket or exec")
	}
	return fmt.Errorf("probe has no handler")
}

// runHook runs a lifecycle handler (exec or httpGet; sleep is honoured too).
func runHook(ctx context.Context, t handlerTarget, h *v1.LifecycleHandler) error {
	switch {
	case h.Exec != nil:
		_, err := runExec(ctx, t, h.Exec.Command)
		return err
	case h.HTTPGet != nil:
		return runHTTPGet(ctx, t, h.HTTPGet)
	case h.Sleep != nil:
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(h.Sleep.Seconds) * time.Second):
		}
		return nil
	case h.TCPSocket != nil:
		return runTCP(ctx, t, h.TCPSocket)
	}
	return fmt.Errorf("hook has no handler")
}

// probeSettings are a probe's timings with the API defaults applied.
type probeSettings struct {
	initialDelay, period time.Duration
	success, failure     int
}

// settingsOf applies the Kubernetes defaults to p.
func settingsOf(p *v1.Probe) probeSettings {
	s := probeSettings{
		initialDelay: time.Duration(p.InitialDelaySeconds) * time.Second,
		period:       time.Duration(p.PeriodSeconds) * time.Second,
		success:      int(p.SuccessThreshold),
		failure:      int(p.FailureThreshold),
	}
	if s.period <= 0 {
		s.period = 10 * time.Second
	}
	if s.success <= 0 {
		s.success = 1
	}
	if s.failure <= 0 {
		s.failure = 3
	}
	return s
}
