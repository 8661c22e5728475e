package kubelet

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/record"
)

// Version is the kubelet version the lab kubelet reports in Node.status.nodeInfo.
const Version = "v1.37.2-drill"

// kubelet is one running lab kubelet.
type kubelet struct {
	cfg      Config
	log      *slog.Logger
	client   kubernetes.Interface
	recorder record.EventRecorder
	ipam     *ipam
	backoff  backoffPolicy

	mu       sync.Mutex
	workers  map[types.UID]*podWorker
	finished map[types.UID]bool
	wg       sync.WaitGroup
}

// Run runs the lab kubelet until ctx is cancelled: it registers the Node,
// keeps its Ready condition and Lease fresh and runs the pods bound to it.
// Processes from an earlier kubelet run on this node are killed and their pod
// networks removed first; their pods are then started again. When ctx is
// cancelled Run stops its loops and returns nil, leaving pod processes
// running (`drill lab down` removes them by their DRILL_LAB variable).
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("kubelet config: %w", err)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", cfg.Kubeconfig)
	if err != nil {
		return fmt.Errorf("kubelet: load kubeconfig %s: %w", cfg.Kubeconfig, err)
	}
	rc.UserAgent = "drill-lab-kubelet/" + cfg.NodeName
	rc.QPS, rc.Burst = 50, 100
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("kubelet: API client: %w", err)
	}
	apiHost := ""
	if u, err := url.Parse(rc.Host); err == nil {
		if ip := net.ParseIP(u.Hostname()); ip != nil {
			apiHost = ip.String()
		}
	}
	return run(ctx, cfg, client, slog.Default().With("node", cfg.NodeName), apiHost)
}

// run is Run with an API client and logger supplied.
// apiHost, when set, is the only address the kubelet's server answers.
func run(ctx context.Context, cfg Config, client kubernetes.Interface, log *slog.Logger, apiHost string) error {
	if err := os.MkdirAll(filepath.Join(cfg.StateDir, "pods"), 0o755); err != nil {
		return fmt.Errorf("kubelet: state dir: %w", err)
	}
	if _, err := os.Stat(netnsPath(cfg.NodeNetns)); err != nil {
		return fmt.Errorf("kubelet: node network namespace %s: %w (is the lab up?)", cfg.NodeNetns, err)
	}
	ip, err := newIPAM(cfg.PodCIDR)
	if err != nil {
		return fmt.Errorf("kubelet: %w", err)
	}
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: client.CoreV1().Events("")})
	defer broadcaster.Shutdown()
	k := &kubelet{
		cfg:      cfg,
		log:      log,
		client:   client,
		recorder: broadcaster.NewRecorder(scheme.Scheme, v1.EventSource{Component: "kubelet", Host: cfg.NodeName}),
		ipam:     ip,
		backoff:  defaultBackoff(),
		workers:  map[types.UID]*podWorker{},
		finished: map[types.UID]bool{},
	}
	k.cleanLeftovers(ctx)
	if _, err := k.registerNode(ctx); err != nil {
		return err
	}
	log.Info("node registered", "ip", cfg.NodeIP, "podCIDR", cfg.PodCIDR)
	var loops sync.WaitGroup
	loops.Add(3)
	go func() {
		defer loops.Done()
		if err := k.serveAPI(ctx, apiHost); err != nil {
			log.Warn("kubelet server not available: kubectl logs will not work", "err", err)
		}
	}()
	go func() { defer loops.Done(); k.nodeStatusLoop(ctx, 10*time.Second) }()
	go func() { defer loops.Done(); k.leaseLoop(ctx, 10*time.Second) }()
	err = k.runPods(ctx)
	loops.Wait()
	k.wg.Wait()
	if err != nil {
		return err
	}
	log.Info("kubelet stopped")
	return nil
}
