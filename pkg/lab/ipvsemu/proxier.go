package ipvsemu

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// conntrackTimeouts are kube-proxy's defaults (conntrack-tcp-timeout-
// established 24h, conntrack-tcp-timeout-close-wait 1h).
var conntrackTimeouts = map[string]string{
	"nf_conntrack_tcp_timeout_established": "86400",
	"nf_conntrack_tcp_timeout_close_wait":  "3600",
}

// Config configures the emulated IPVS proxier of one node.
type Config struct {
	// ClusterCIDR is the pod range; traffic from outside it to a NodePort is
	// masqueraded, as kube-proxy does.
	ClusterCIDR string
	// MinSyncPeriod bounds how often the ruleset is rewritten (kube-proxy: 1s).
	MinSyncPeriod time.Duration
	// SyncPeriod forces a full resync (kube-proxy: 30s).
	SyncPeriod time.Duration
}

// Run watches Services and EndpointSlices and keeps the node namespace's
// nftables table in sync until ctx ends; it removes its table on exit.
func Run(ctx context.Context, cs kubernetes.Interface, cfg Config, log *slog.Logger) error {
	if cfg.MinSyncPeriod <= 0 {
		cfg.MinSyncPeriod = time.Second
	}
	if cfg.SyncPeriod <= 0 {
		cfg.SyncPeriod = 30 * time.Second
	}
	if _, err := exec.LookPath("nft"); err != nil {
		return fmt.Errorf("%s needs the nft binary: install nftables", Label)
	}
	log = log.With("proxyMode", Label)
	// kube-proxy's conntrack timeouts, which it sets in every mode; the
	// process runs in the node's network namespace, where they are
	// per-namespace values.
	for key, v := range conntrackTimeouts {
		if err := os.WriteFile("/proc/sys/net/netfilter/"+key, []byte(v+"\n"), 0o644); err != nil {
			log.Warn("set conntrack timeout", "sysctl", key, "err", err)
		}
	}
	factory := informers.NewSharedInformerFactory(cs, cfg.SyncPeriod)
	svcInf := factory.Core().V1().Services()
	epsInf := factory.Discovery().V1().EndpointSlices()
	kick := make(chan struct{}, 1)
	notify := func() {
		select {
		case kick <- struct{}{}:
		default:
		}
	}
	h := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { notify() },
		UpdateFunc: func(any, any) { notify() },
		DeleteFunc: func(any) { notify() },
	}
	if _, err := svcInf.Informer().AddEventHandler(h); err != nil {
		return err
	}
	if _, err := epsInf.Informer().AddEventHandler(h); err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("%s: cache for %v did not sync", Label, typ)
		}
	}
	log.Info("started: round-robin per new connection with nftables numgen inc; kernel has no ip_vs")
	defer func() {
		_ = exec.Command("nft", "delete", "table", "ip", TableName).Run()
	}()
	ticker := time.NewTicker(cfg.SyncPeriod)
	defer ticker.Stop()
	var last string
	for {
		ports, err := servicePorts(svcInf.Lister().List, epsInf.Lister().List)
		if err != nil {
			log.Error("list", "err", err)
		} else if rs := Ruleset(cfg.ClusterCIDR, ports); rs != last {
			if err := apply(ctx, rs); err != nil {
				log.Error("sync", "err", err)
			} else {
				last = rs
				log.Info("synced", "servicePorts", len(ports))
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(cfg.MinSyncPeriod):
		}
		select {
		case <-ctx.Done():
			return nil
		case <-kick:
		case <-ticker.C:
		}
	}
}

func apply(ctx context.Context, ruleset string) error {
	cmd := exec.CommandContext(ctx, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(ruleset)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft -f: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// servicePorts joins Services and EndpointSlices into the proxier's view.
func servicePorts(listSvc func(labels.Selector) ([]*corev1.Service, error), listEPS func(labels.Selector) ([]*discoveryv1.EndpointSlice, error)) ([]ServicePort, error) {
	svcs, err := listSvc(labels.Everything())
	if err != nil {
		return nil, err
	}
	slices, err := listEPS(labels.Everything())
	if err != nil {
		return nil, err
	}
	bySvc := map[string][]*discoveryv1.EndpointSlice{}
	for _, s := range slices {
		if s.AddressType != discoveryv1.AddressTypeIPv4 {
			continue
		}
		key := s.Namespace + "/" + s.Labels[discoveryv1.LabelServiceName]
		bySvc[key] = append(bySvc[key], s)
	}
	var out []ServicePort
	for _, svc := range svcs {
		if svc.Spec.Type == corev1.ServiceTypeExternalName || !validIPv4(svc.Spec.ClusterIP) {
			continue
		}
		for _, p := range svc.Spec.Ports {
			sp := ServicePort{
				Name:      fmt.Sprintf("%s/%s:%s", svc.Namespace, svc.Name, p.Name),
				Protocol:  strings.ToLower(string(p.Protocol)),
				ClusterIP: svc.Spec.ClusterIP,
				Port:      p.Port,
				NodePort:  p.NodePort,
			}
			if sp.Protocol == "" {
				sp.Protocol = "tcp"
			}
			sp.Backends = backends(bySvc[svc.Namespace+"/"+svc.Name], p)
			out = append(out, sp)
		}
	}
	return out, nil
}

// backends picks the endpoints for new connections: ready ones; when none
// is ready, serving terminating ones (as kube-proxy does). A terminating
// endpoint thus gets weight 0 while ready ones exist — IPVS's graceful
// termination — and its established connections keep flowing through
// conntrack.
func backends(slices []*discoveryv1.EndpointSlice, sp corev1.ServicePort) []Backend {
	var ready, terminating []Backend
	seen := map[Backend]bool{}
	for _, s := range slices {
		var port int32 = -1
		for _, p := range s.Ports {
			name := ""
			if p.Name != nil {
				name = *p.Name
			}
			if name == sp.Name && p.Port != nil {
				port = *p.Port
			}
		}
		if port < 0 {
			continue
		}
		for _, ep := range s.Endpoints {
			if len(ep.Addresses) == 0 || !validIPv4(ep.Addresses[0]) {
				continue
			}
			be := Backend{IP: ep.Addresses[0], Port: port}
			if seen[be] {
				continue
			}
			seen[be] = true
			isReady := ep.Conditions.Ready == nil || *ep.Conditions.Ready
			serving := ep.Conditions.Serving == nil || *ep.Conditions.Serving
			isTerm := ep.Conditions.Terminating != nil && *ep.Conditions.Terminating
			switch {
			case isReady && !isTerm:
				ready = append(ready, be)
			case serving && isTerm:
				terminating = append(terminating, be)
			}
		}
	}
	pick := ready
	if len(pick) == 0 {
		pick = terminating
	}
	sort.Slice(pick, func(i, j int) bool {
		if pick[i].IP != pick[j].IP {
			return pick[i].IP < pick[j].IP
		}
		return pick[i].Port < pick[j].Port
	})
	return pick
}
