package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Lab is a running (or partly running) lab.
type Lab struct {
	plan     Plan
	progress io.Writer
	// started holds the processes this Lab value started, by name: their
	// reaped exit is the authority on whether they died.
	started map[string]*child
}

// Name is the lab's name.
func (l *Lab) Name() string { return l.plan.Name }

// Plan returns the lab's names, addresses and paths.
func (l *Lab) Plan() Plan { return l.plan }

// Kubeconfig is the path of the host kubeconfig (mode 0600) that reaches
// the API server through the loopback relay.
func (l *Lab) Kubeconfig() string { return l.plan.path("kubeconfig") }

// LogDir is where every lab process writes its log.
func (l *Lab) LogDir() string { return l.plan.path("logs") }

// RESTConfig returns a client configuration from the host kubeconfig.
func (l *Lab) RESTConfig() (*rest.Config, error) {
	cfg, err := clientcmd.BuildConfigFromFlags("", l.Kubeconfig())
	if err != nil {
		return nil, fmt.Errorf("lab %s kubeconfig: %w", l.plan.Name, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	return cfg, nil
}

// Client returns a clientset for the lab.
func (l *Lab) Client() (kubernetes.Interface, error) {
	cfg, err := l.RESTConfig()
	if err != nil {
		return nil, err
	}
	return kubernetes.NewForConfig(cfg)
}

func (l *Lab) logf(format string, args ...any) {
	fmt.Fprintf(l.progress, "lab %s: %s\n", l.plan.Name, fmt.Sprintf(format, args...))
}

// Up brings a lab up and waits until the API server is ready and every node
// is Ready. If a healthy lab of that name is already up it is returned as
// is; leftovers of a crashed lab of that name are removed first. On failure
// the lab is left in place for inspection: the error names the logs, and
// Down removes it.
func Up(ctx context.Context, cfg Config) (*Lab, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("lab config: %w", err)
	}
	cfg = cfg.withDefaults()
	rb, err := cfg.checkHost()
	if err != nil {
		return nil, err
	}
	existing, err := open(cfg.StateRoot, cfg.Name, cfg.Progress)
	if errors.Is(err, errOldNodeRuntime) {
		return nil, err
	}
	if err == nil {
		if err := existing.healthy(); err == nil {
			ep := existing.plan
			if len(ep.Nodes) != cfg.Nodes || ep.ProxyMode != cfg.ProxyMode {
				return nil, fmt.Errorf("lab %s is already up with %d nodes in proxy mode %s (asked: %d nodes, %s): run `drill lab down --name %s` first, or pick another --name",
					cfg.Name, len(ep.Nodes), ep.ProxyMode, cfg.Nodes, cfg.ProxyMode, cfg.Name)
			}
			existing.logf("already up (kubeconfig %s)", existing.Kubeconfig())
			return existing, nil
		} else {
			existing.logf("found a broken lab (%v): removing it first", err)
		}
	}
	if err := down(ctx, cfg.StateRoot, cfg.Name, cfg.Progress); err != nil {
		return nil, fmt.Errorf("remove leftovers of lab %s: %w", cfg.Name, err)
	}
	plan, err := newPlan(cfg)
	if err != nil {
		return nil, err
	}
	plan.Runtime = &rb
	l := &Lab{plan: plan, progress: cfg.Progress}
	start := time.Now()
	if err := l.up(ctx, cfg); err != nil {
		return l, fmt.Errorf("lab %s up: %w\n(logs in %s; `drill lab down --name %s` removes the lab)", plan.Name, err, l.LogDir(), plan.Name)
	}
	l.logf("up in %s: %d nodes Ready, proxy mode %s; kubeconfig %s", time.Since(start).Round(10*time.Millisecond), len(plan.Nodes), ProxyModeLabel(plan.ProxyMode), l.Kubeconfig())
	return l, nil
}

func (l *Lab) up(ctx context.Context, cfg Config) error {
	p := l.plan
	for _, d := range []string{"", "logs", "pids", "pki", "nodes"} {
		if err := os.MkdirAll(p.path(d), 0o700); err != nil {
			return fmt.Errorf("create state dir: %w", err)
		}
	}
	if cfg.HostConntrackMax > 0 {
		old, err := hostConntrackMax()
		if err != nil {
			return err
		}
		l.plan.HostConntrackMaxSaved, l.plan.HostConntrackMaxSet = old, cfg.HostConntrackMax
		p = l.plan
	}
	if err := l.save(); err != nil {
		return err
	}
	t := time.Now()
	if err := writePKI(p); err != nil {
		return err
	}
	l.logf("certificates and kubeconfigs written (%s)", since(t))
	t = time.Now()
	if err := setupNetwork(ctx, p); err != nil {
		return err
	}
	l.logf("network: VPC %s, control plane %s, %d nodes (%s)", p.VPCCIDR, p.APIAddr, len(p.Nodes), since(t))
	t = time.Now()
	if err := prepareRealNodes(ctx, p); err != nil {
		return err
	}
	l.logf("node mount namespaces, cgroups and configs ready (%s)", since(t))
	if p.HostConntrackMaxSet > 0 {
		if err := setHostConntrackMax(p.HostConntrackMaxSet); err != nil {
			return err
		}
		l.logf("host nf_conntrack_max set to %d (was %d; restored by lab down)", p.HostConntrackMaxSet, p.HostConntrackMaxSaved)
	}
	if p.ConntrackTimeouts != (ConntrackTimeouts{}) {
		for _, n := range p.Nodes {
			if err := setConntrackTimeouts(filepath.Join(netnsDir, n.Netns), p.ConntrackTimeouts); err != nil {
				return fmt.Errorf("node %s: %w", n.Name, err)
			}
		}
		l.logf("conntrack timeouts of every node: %s", TimeoutsString(p.ConntrackTimeouts))
	}
	t = time.Now()
	// The controller-manager and the scheduler give up when the API
	// server does not answer /healthz to them within seconds, which its
	// RBAC bootstrap can take on a loaded machine: they start once it is
	// ready.
	var afterAPI []procSpec
	for _, s := range append(controlPlaneSpecs(p), relaySpec(p)) {
		if s.Name == procKCM || s.Name == procScheduler {
			afterAPI = append(afterAPI, s)
			continue
		}
		if err := l.start(s); err != nil {
			return err
		}
	}
	relayAddr, err := l.waitRelay(ctx, 10*time.Second)
	if err != nil {
		return err
	}
	l.plan.RelayAddr = relayAddr
	p = l.plan
	if err := writeHostKubeconfig(p, relayAddr); err != nil {
		return err
	}
	if err := l.save(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.ReadyTimeout)
	defer cancel()
	cs, err := l.Client()
	if err != nil {
		return err
	}
	if err := l.waitAPIReady(ctx, cs); err != nil {
		return err
	}
	l.logf("API server ready at https://%s (%s)", relayAddr, since(t))
	for _, s := range afterAPI {
		if err := l.start(s); err != nil {
			return err
		}
	}
	if err := bindNodeRole(ctx, cs); err != nil {
		return err
	}
	t = time.Now()
	if err := bindKubeletAPIAccess(ctx, cs); err != nil {
		return err
	}
	if err := l.upRealNodes(ctx); err != nil {
		return err
	}
	if err := l.waitNodesReady(ctx, cs); err != nil {
		return err
	}
	l.logf("%d nodes Ready (%s)", len(p.Nodes), since(t))
	t = time.Now()
	if err := l.waitDefaultServiceAccount(ctx, cs); err != nil {
		return err
	}
	l.logf("default ServiceAccount ready (%s)", since(t))
	return nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(10 * time.Millisecond) }

// checkHost checks everything Up needs from the machine before it makes
// any namespace, resolving the binaries: the error names everything
// missing at once, each with how to get it.
func (c *Config) checkHost() (RuntimeBinaries, error) {
	hostErr := preflight(*c)
	binErr := c.findBinaries()
	rb, nodeErr := findRuntimeBinaries(c.DrillBinary)
	if err := errors.Join(hostErr, binErr, nodeErr); err != nil {
		return rb, fmt.Errorf("the lab cannot run on this host:\n%w\n(docs/lab.md, \"Rootless and other hosts\", says what to do where these cannot be had)", err)
	}
	return rb, nil
}

// CheckHost reports, in one error naming each missing thing and how to get
// it, what this host lacks for a lab (Up reports the same before it starts).
// An empty drillBinary is found as Up finds it.
func CheckHost(drillBinary string) error {
	c := Config{DrillBinary: drillBinary}.withDefaults()
	_, err := c.checkHost()
	return err
}

// preflight checks what Up needs from the machine, reporting all of it.
func preflight(cfg Config) error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("the lab is made of Linux network namespaces, cgroups and mounts, and this is %s: run drill against a cluster (target.kube, target.url), or the lab inside a Linux VM", runtime.GOOS)
	}
	var errs []error
	if os.Geteuid() != 0 {
		errs = append(errs, errors.New("the lab needs root (network namespaces, iptables): run as root"))
	}
	tools := []string{"ip", "nsenter"}
	switch cfg.ProxyMode {
	case ProxyIPTables:
		tools = append(tools, "iptables", "iptables-save", "iptables-restore")
	case ProxyNFTables:
		tools = append(tools, "nft")
	case ProxyIPVS:
		if kernelHasIPVS() {
			tools = append(tools, "ipset", "iptables")
		} else {
			// The emulated IPVS proxier programs nftables.
			tools = append(tools, "nft")
		}
	}
	var missing []string
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		errs = append(errs, fmt.Errorf("%s not found in PATH: install iproute2, util-linux, iptables, nftables and conntrack (e.g. apt-get install iproute2 util-linux iptables nftables conntrack)", strings.Join(missing, ", ")))
	}
	return errors.Join(errs...)
}

// Open returns the existing lab of that name from the default state root.
func Open(name string) (*Lab, error) {
	return open(DefaultStateRoot, name, io.Discard)
}

// OpenIn returns the existing lab of that name under stateRoot.
func OpenIn(stateRoot, name string) (*Lab, error) {
	return open(stateRoot, name, io.Discard)
}

// errOldNodeRuntime is the error of opening a lab whose pods an older
// drill's own lab kubelet ran.
var errOldNodeRuntime = errors.New("its nodes run drill's former lab kubelet, which this drill no longer has")

func open(root, name string, progress io.Writer) (*Lab, error) {
	p, err := readPlan(root, name)
	if err != nil {
		return nil, err
	}
	if p.NodeRuntime != nodeRuntimeKubelet {
		return nil, fmt.Errorf("lab %s was brought up by an older drill and %w: `drill lab down --name %s` removes it (then `drill lab up --name %s` brings it up on the upstream kubelet)", name, errOldNodeRuntime, name, name)
	}
	if progress == nil {
		progress = io.Discard
	}
	return &Lab{plan: p, progress: progress}, nil
}

// readPlan reads the saved plan of the lab of that name under root.
func readPlan(root, name string) (Plan, error) {
	if err := CheckName(name); err != nil {
		return Plan{}, err
	}
	path := filepath.Join(root, name, "lab.json")
	b, err := os.ReadFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return Plan{}, fmt.Errorf("no lab named %s (no %s): `drill lab up --name %s` creates it", name, path, name)
		}
		return Plan{}, fmt.Errorf("read lab %s: %w", name, err)
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return Plan{}, fmt.Errorf("lab %s state %s is corrupt (%v): `drill lab down --name %s` removes it", name, path, err, name)
	}
	return p, nil
}

func (l *Lab) save() error {
	b, err := json.MarshalIndent(l.plan, "", "  ")
	if err != nil {
		return fmt.Errorf("encode lab state: %w", err)
	}
	tmp := l.plan.path("lab.json.tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write lab state: %w", err)
	}
	return os.Rename(tmp, l.plan.path("lab.json"))
}

// healthy reports whether every expected process of the lab runs.
func (l *Lab) healthy() error {
	var dead []string
	for _, name := range l.processNames() {
		if _, ok := pidOf(l.plan, name); !ok {
			dead = append(dead, name)
		}
	}
	if len(dead) > 0 {
		return fmt.Errorf("not running: %s", strings.Join(dead, ", "))
	}
	return nil
}

// start starts one of the lab's processes and keeps it to learn of its exit.
func (l *Lab) start(s procSpec) error {
	c, err := startProcess(l.plan, s)
	if c != nil {
		if l.started == nil {
			l.started = map[string]*child{}
		}
		l.started[s.Name] = c
	}
	return err
}

// processNames lists the processes the lab should have running.
func (l *Lab) processNames() []string {
	var names []string
	for _, s := range controlPlaneSpecs(l.plan) {
		names = append(names, s.Name)
	}
	names = append(names, procRelay)
	for _, n := range l.plan.Nodes {
		for _, s := range nodeSpecs(l.plan, n) {
			names = append(names, s.Name)
		}
	}
	return names
}
