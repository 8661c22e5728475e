package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/drillkit/drill/pkg/cni/vpccni"
	"github.com/drillkit/drill/pkg/image"
)

// The lab's nodes: each node runs containerd (with runc, drill's VPC CNI
// plugin and the reference host-local IPAM plugin) and the upstream kubelet
// from drill-kube, both in the node's network namespace, its private mount
// namespace and its cgroup.

// RuntimeBinaries are the programs the nodes run.
type RuntimeBinaries struct {
	Containerd string `json:"containerd"`
	// Shim is containerd-shim-runc-v2; containerd finds it through PATH.
	Shim    string `json:"shim"`
	Ctr     string `json:"ctr"`
	Runc    string `json:"runc"`
	CNIDir  string `json:"cniDir"`
	Busybox string `json:"busybox"`
}

// cniPlugins are the reference CNI plugins a node's network config uses
// (drill's own plugin delegates address allocation to host-local).
var cniPlugins = []string{"host-local"}

// cniDirs are where distributions install the reference CNI plugins.
var cniDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}

// kubeletClientUser is the user the API server is when it calls kubelets
// (logs, exec, port-forward), by its client certificate.
const kubeletClientUser = "drill-lab:kube-apiserver"

// findRuntimeBinaries locates what the nodes need and checks the host,
// reporting everything missing at once with how to get it. Up calls it
// before it makes any namespace.
func findRuntimeBinaries(drillBinary string) (RuntimeBinaries, error) {
	var rb RuntimeBinaries
	var errs []error
	binDir := filepath.Dir(drillBinary)
	find := func(name, fix string) string {
		if p := filepath.Join(binDir, name); executable(p) == nil {
			return p
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
		errs = append(errs, fmt.Errorf("%s not found next to %s or in PATH: %s", name, drillBinary, fix))
		return ""
	}
	const buildContainerd = "run `make containerd` (builds containerd v2 into bin/)"
	const apt = "install runc, containernetworking-plugins and busybox-static (apt-get install runc containernetworking-plugins busybox-static; scripts/deps.sh does)"
	rb.Containerd = find("containerd", buildContainerd)
	rb.Shim = find("containerd-shim-runc-v2", buildContainerd)
	rb.Ctr = find("ctr", buildContainerd)
	rb.Runc = find("runc", apt)
	rb.Busybox = find("busybox", apt)
	for _, d := range cniDirs {
		ok := true
		for _, p := range cniPlugins {
			ok = ok && executable(filepath.Join(d, p)) == nil
		}
		if ok {
			rb.CNIDir = d
			break
		}
	}
	if rb.CNIDir == "" {
		errs = append(errs, fmt.Errorf("CNI plugins %s not found in %s: %s", strings.Join(cniPlugins, ", "), strings.Join(cniDirs, " or "), apt))
	}
	var tools []string
	for _, t := range []string{"unshare", "mount", "umount"} {
		if _, err := exec.LookPath(t); err != nil {
			tools = append(tools, t)
		}
	}
	if len(tools) > 0 {
		errs = append(errs, fmt.Errorf("%s not found in PATH: install util-linux and mount (apt-get install util-linux mount)", strings.Join(tools, ", ")))
	}
	filesystems, _ := os.ReadFile("/proc/filesystems")
	hs, err := cgroupHierarchies()
	if err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, checkKernel(string(filesystems), hs)...)
	}
	if _, err := image.DatapathTools(); err != nil {
		errs = append(errs, err)
	}
	if executable(drillBinary) == nil {
		if err := image.RequireStatic(drillBinary, "drill binary", "build it with CGO_ENABLED=0 (make build does)"); err != nil {
			errs = append(errs, err)
		}
	}
	if rb.Busybox != "" {
		if err := image.RequireStatic(rb.Busybox, "busybox", "install busybox-static (apt-get install busybox-static)"); err != nil {
			errs = append(errs, err)
		}
	}
	return rb, errors.Join(errs...)
}

// checkKernel reports what the nodes miss in the kernel: filesystems is
// /proc/filesystems, hs the host's cgroup hierarchies.
func checkKernel(filesystems string, hs []cgroupHierarchy) []error {
	var errs []error
	if !strings.Contains(filesystems, "\toverlay\n") {
		errs = append(errs, errors.New("the kernel has no overlay filesystem (containerd's overlayfs snapshotter needs it): load it with `modprobe overlay` (a kernel built with CONFIG_OVERLAY_FS), or run the lab in a Linux VM that has it"))
	}
	if err := cgroupV1Ready(hs); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// prepareRealNodes creates every node's cgroups, mount namespace and
// configuration files.
func prepareRealNodes(ctx context.Context, p Plan) error {
	hs, err := cgroupHierarchies()
	if err != nil {
		return err
	}
	if err := prepareMountnsDir(p); err != nil {
		return err
	}
	if err := linkCNIPlugin(p); err != nil {
		return err
	}
	for _, n := range p.Nodes {
		if err := writeRealNodeConfig(ctx, p, n, hs); err != nil {
			return err
		}
	}
	return nil
}

// cniBinDir is the lab's CNI plugin directory, holding drill's VPC CNI
// plugin as a link to the drill binary; containerd looks there first, then
// in the reference plugins' directory.
func (p Plan) cniBinDir() string { return p.path("cni-bin") }

// linkCNIPlugin makes the link drill-vpc-cni -> drill in cniBinDir: run
// under that name, drill is the plugin.
func linkCNIPlugin(p Plan) error {
	if err := os.MkdirAll(p.cniBinDir(), 0o755); err != nil {
		return fmt.Errorf("CNI plugin directory: %w", err)
	}
	link := filepath.Join(p.cniBinDir(), vpccni.PluginName)
	_ = os.Remove(link)
	if err := os.Symlink(p.DrillBinary, link); err != nil {
		return fmt.Errorf("CNI plugin %s: %w", vpccni.PluginName, err)
	}
	return nil
}

// nodeDir is a node's state directory.
func (p Plan) nodeDir(n NodePlan, elem ...string) string {
	return p.path(append([]string{"nodes", n.Name}, elem...)...)
}

// Directories of a node that lie outside the state directory, under
// /run/drill, because the unix sockets in them need short paths wherever
// the state directory is: a containerd shim socket's directory may have at
// most 42 characters, and the kubelet makes sockets of up to 108 below
// its root (pod-resources, plugin registration).
const (
	shimSocketRoot = "/run/drill/shim"
	kubeletRoot    = "/run/drill/kubelet"
)

// nodeRunRoots are the roots of those directories.
func nodeRunRoots() []string { return []string{shimSocketRoot, kubeletRoot} }

// nodeRunDir is a node's directory under root.
func nodeRunDir(root, lab string, n NodePlan) string {
	return filepath.Join(root, lab+"-"+n.Name)
}

// labRunDirs lists the lab's node directories under every run root.
func labRunDirs(lab string) []string {
	var out []string
	for _, root := range nodeRunRoots() {
		dirs, _ := filepath.Glob(filepath.Join(root, lab+"-"+nodePrefix+"*"))
		out = append(out, dirs...)
	}
	return out
}

func containerdProc(n NodePlan) string { return "containerd-" + n.Name }

// containerdSocket is the node's containerd (CRI) socket.
func (p Plan) containerdSocket(n NodePlan) string { return p.nodeDir(n, "ctrd.sock") }

// writeRealNodeConfig writes a node's containerd, CNI and kubelet
// configuration and creates its cgroups and mount namespace.
func writeRealNodeConfig(ctx context.Context, p Plan, n NodePlan, hs []cgroupHierarchy) error {
	for _, d := range []string{"cni", "ipam", "kubelet-pki", "pod-logs", "containerd/root", "containerd/state", "runc"} {
		if err := os.MkdirAll(p.nodeDir(n, d), 0o700); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	for _, root := range nodeRunRoots() {
		if err := os.MkdirAll(nodeRunDir(root, p.Name, n), 0o700); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	if err := os.WriteFile(p.nodeDir(n, "containerd.toml"), []byte(containerdConfig(p, n)), 0o600); err != nil {
		return fmt.Errorf("node %s containerd config: %w", n.Name, err)
	}
	if err := writeRegistryHosts(p, n); err != nil {
		return err
	}
	cni, err := cniConfig(p, n)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p.nodeDir(n, "cni", "10-drill.conflist"), cni, 0o600); err != nil {
		return fmt.Errorf("node %s CNI config: %w", n.Name, err)
	}
	kc, err := kubeletConfig(p, n)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p.nodeDir(n, "kubelet.json"), kc, 0o600); err != nil {
		return fmt.Errorf("node %s kubelet config: %w", n.Name, err)
	}
	if err := createNodeCgroups(hs, nodeCgroup(p.Name, n)); err != nil {
		return err
	}
	return createNodeMountns(ctx, p, n)
}

// containerdConfig is a node's containerd configuration (version 3): own
// root, state, sockets and runc root; NRI off (its socket is host-wide);
// pod network namespaces under its state directory (inside the node's
// mount namespace); no OOM score lowering (root here lacks
// CAP_SYS_RESOURCE); the lab's pause image pinned; registry hosts (the lab
// registry mirroring ghcr.io) from the node's certs.d.
func containerdConfig(p Plan, n NodePlan) string {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	rb := p.Runtime
	return fmt.Sprintf(`version = 3
root = %s
state = %s

[grpc]
  address = %s

[ttrpc]
  address = %s

[metrics]
  address = ""

[plugins."io.containerd.nri.v1.nri"]
  disable = true

[plugins."io.containerd.shim.v1.manager"]
  socket_dir = %s

[plugins."io.containerd.grpc.v1.cri"]
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = %s
  [plugins."io.containerd.cri.v1.images".registry]
    config_path = %s

[plugins."io.containerd.cri.v1.runtime"]
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_cdi = false
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = [%s, %s]
    conf_dir = %s
    max_conf_num = 1
    use_internal_loopback = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = %s
        Root = %s
        SystemdCgroup = false
`,
		q(p.nodeDir(n, "containerd/root")), q(p.nodeDir(n, "containerd/state")),
		q(p.containerdSocket(n)), q(p.nodeDir(n, "ctrd-ttrpc.sock")),
		q(nodeRunDir(shimSocketRoot, p.Name, n)),
		q(PauseImage), q(p.nodeDir(n, "certs.d")),
		q(p.cniBinDir()), q(rb.CNIDir), q(p.nodeDir(n, "cni")),
		q(rb.Runc), q(p.nodeDir(n, "runc")))
}

// cniConfig is a node's CNI network: drill's VPC CNI plugin gives each pod
// a veth with its address from the node's /24 (host-local IPAM, .2-.254)
// as a /32, the default route via 169.254.1.1 with a permanent neighbour
// entry, and a node route to it; pods reach everything else through the
// node.
func cniConfig(p Plan, n NodePlan) ([]byte, error) {
	pods, err := netip.ParsePrefix(n.PodCIDR)
	if err != nil {
		return nil, fmt.Errorf("node %s pod CIDR: %w", n.Name, err)
	}
	cfg := map[string]any{
		"cniVersion": "1.0.0",
		"name":       netnsPrefix(p.Name) + n.Name,
		"plugins": []any{map[string]any{
			"type": vpccni.PluginName,
			"ipam": map[string]any{
				"type":    "host-local",
				"dataDir": p.nodeDir(n, "ipam"),
				"ranges": [][]map[string]string{{{
					"subnet":     pods.String(),
					"rangeStart": nth(pods.Addr(), 2).String(),
					"rangeEnd":   nth(pods.Addr(), 254).String(),
					// Reserved, as before: pods route via 169.254.1.1.
					"gateway": nth(pods.Addr(), 1).String(),
				}}},
			},
		}},
	}
	return json.MarshalIndent(cfg, "", "  ")
}

// kubeletConfig is a node's KubeletConfiguration (JSON is YAML).
func kubeletConfig(p Plan, n NodePlan) ([]byte, error) {
	cfg := map[string]any{
		"apiVersion":         "kubelet.config.k8s.io/v1beta1",
		"kind":               "KubeletConfiguration",
		"address":            n.IP,
		"port":               10250,
		"readOnlyPort":       0,
		"healthzBindAddress": "127.0.0.1",
		"healthzPort":        10248,
		"authentication": map[string]any{
			"anonymous": map[string]any{"enabled": false},
			"webhook":   map[string]any{"enabled": true, "cacheTTL": "10s"},
			"x509":      map[string]any{"clientCAFile": p.path("pki", "ca.crt")},
		},
		"authorization": map[string]any{
			"mode":    "Webhook",
			"webhook": map[string]any{"cacheAuthorizedTTL": "10s", "cacheUnauthorizedTTL": "5s"},
		},
		"tlsCertFile":              p.nodeDir(n, "kubelet-pki", "kubelet.crt"),
		"tlsPrivateKeyFile":        p.nodeDir(n, "kubelet-pki", "kubelet.key"),
		"containerRuntimeEndpoint": "unix://" + p.containerdSocket(n),
		"cgroupDriver":             "cgroupfs",
		"cgroupRoot":               "/" + nodeCgroup(p.Name, n),
		"cgroupsPerQOS":            true,
		"failCgroupV1":             false,
		"failSwapOn":               false,
		// The host's values are shadowed in the node's mount namespace; the
		// kubelet only checks them.
		"protectKernelDefaults": true,
		"podLogsDir":            p.nodeDir(n, "pod-logs"),
		"clusterDomain":         "cluster.local",
		"resolvConf":            "/etc/resolv.conf",
		"serializeImagePulls":   false,
		// Images exist only as imported: never collect them.
		"imageGCHighThresholdPercent": 100,
		"imageGCLowThresholdPercent":  99,
		"evictionHard": map[string]string{
			"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%",
		},
		"shutdownGracePeriod":          "0s",
		"nodeStatusReportFrequency":    "10s",
		"nodeStatusUpdateFrequency":    "10s",
		"registerNode":                 true,
		"enableControllerAttachDetach": true,
	}
	return json.MarshalIndent(cfg, "", "  ")
}

// realNodeSpecs are the node's containerd and upstream kubelet, in the
// node's network and mount namespaces and its runtime cgroup.
func realNodeSpecs(p Plan, n NodePlan) []procSpec {
	rb := p.Runtime
	cg := filepath.Join(nodeCgroup(p.Name, n), cgroupRuntimeChild)
	path := strings.Join([]string{filepath.Dir(rb.Shim), filepath.Dir(rb.Runc), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, ":")
	ctrd := procSpec{Name: containerdProc(n), Netns: n.Netns, Mountns: p.nodeMountns(n), Cgroup: cg,
		Env:  []string{"PATH=" + path},
		Path: rb.Containerd, Args: []string{"--config", p.nodeDir(n, "containerd.toml")}}
	kl := procSpec{Name: kubeletProc(n), Netns: n.Netns, Mountns: p.nodeMountns(n), Cgroup: cg,
		Env:  []string{"PATH=" + path},
		Path: p.KubeBinary, Args: []string{
			"kubelet",
			"--config", p.nodeDir(n, "kubelet.json"),
			"--kubeconfig", p.path("kubelet-" + n.Name + ".kubeconfig"),
			"--root-dir", nodeRunDir(kubeletRoot, p.Name, n),
			"--cert-dir", p.nodeDir(n, "kubelet-pki"),
			"--hostname-override", n.Name,
			"--node-ip", n.IP,
			"--node-labels", "drill.dev/lab=" + p.Name,
			"--v", "1",
		}}
	return []procSpec{ctrd, kl}
}

// upRealNodes starts every node's containerd, imports the lab's images
// into each and then starts the kubelets and kube-proxies.
func (l *Lab) upRealNodes(ctx context.Context) error {
	p := l.plan
	t := time.Now()
	archive := p.path("images.oci.tar")
	if err := writeImageArchive(p.path("images"), archive, p.DrillBinary, p.Runtime.Busybox); err != nil {
		return err
	}
	l.logf("images %s and %s built (%s)", DrillImage, PauseImage, since(t))
	if err := l.start(registrySpec(p)); err != nil {
		return err
	}
	if _, err := l.waitAddrFile(ctx, "the lab registry to serve", p.path("registry.ready"), 30*time.Second); err != nil {
		return err
	}
	for _, n := range p.Nodes {
		if err := l.start(realNodeSpecs(p, n)[0]); err != nil {
			return err
		}
	}
	t = time.Now()
	for _, n := range p.Nodes {
		if err := l.waitContainerd(ctx, n); err != nil {
			return err
		}
		if _, err := importArchive(ctx, p, n, archive); err != nil {
			return err
		}
	}
	l.logf("containerd up and images imported on %d nodes (%s)", len(p.Nodes), since(t))
	for _, n := range p.Nodes {
		for _, s := range nodeSpecs(p, n)[1:] {
			if err := l.start(s); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitContainerd waits until the node's containerd answers on its socket.
func (l *Lab) waitContainerd(ctx context.Context, n NodePlan) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	sock := l.plan.containerdSocket(n)
	return l.poll(ctx, "containerd of "+n.Name, func(ctx context.Context) (bool, string, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, "unix", sock)
		if err != nil {
			return false, err.Error(), nil
		}
		c.Close()
		return true, "", nil
	})
}

// bindKubeletAPIAccess lets the API server (by its kubelet client
// certificate) use the kubelets' API: logs, exec, attach, port-forward.
func bindKubeletAPIAccess(ctx context.Context, cs kubernetes.Interface) error {
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "drill-lab:kube-apiserver-kubelet-api"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:kubelet-api-admin"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: kubeletClientUser}},
	}
	_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("let the API server use the kubelet API: %w", err)
	}
	return nil
}
