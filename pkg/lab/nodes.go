package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/drillkit/drill/pkg/lab/kubelet"
)

func kubeletProc(n NodePlan) string { return "kubelet-" + n.Name }
func proxyProc(n NodePlan) string   { return "kube-proxy-" + n.Name }

// kubeletConfigPath is where the node's kubelet.Config is written as JSON.
func (p Plan) kubeletConfigPath(n NodePlan) string { return p.path("kubelet-" + n.Name + ".json") }

// writeKubeletConfig writes the node's lab kubelet configuration.
func writeKubeletConfig(p Plan, n NodePlan) error {
	cfg := kubelet.Config{
		Lab:            p.Name,
		Kubeconfig:     p.path("kubelet-" + n.Name + ".kubeconfig"),
		NodeName:       n.Name,
		NodeIP:         n.IP,
		PodCIDR:        n.PodCIDR,
		NodeNetns:      n.Netns,
		PodNetnsPrefix: podNetnsPrefix(p.Name),
		DrillBinary:    p.DrillBinary,
		StateDir:       p.path("nodes", n.Name),
		Labels:         map[string]string{"drill.dev/lab": p.Name},
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("node %s state dir: %w", n.Name, err)
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encode kubelet config for %s: %w", n.Name, err)
	}
	return writeSecret(p.kubeletConfigPath(n), append(b, '\n'))
}

// nodeSpecs are a node's processes, all inside the node namespace: the
// lab kubelet (or containerd and the upstream kubelet) and the real
// kube-proxy.
func nodeSpecs(p Plan, n NodePlan) []procSpec {
	specs := []procSpec{{Name: kubeletProc(n), Netns: n.Netns, Path: p.DrillBinary, Args: []string{
		"lab", "kubelet", "--config", p.kubeletConfigPath(n),
	}}}
	if p.realNodes() {
		specs = realNodeSpecs(p, n)
	}
	if p.ProxyMode == ProxyIPVS && !kernelHasIPVS() {
		// No ip_vs in this kernel: the emulated IPVS proxier stands in for
		// kube-proxy and says so in its log and in lab status.
		return append(specs, procSpec{Name: proxyProc(n), Netns: n.Netns, Path: p.DrillBinary, Args: []string{
			"lab", "ipvs-proxy",
			"--kubeconfig", p.path("kube-proxy.kubeconfig"),
			"--cluster-cidr", p.PodCIDR,
		}})
	}
	if p.ProxyMode == ProxyIPTables || p.ProxyMode == ProxyNFTables || p.ProxyMode == ProxyIPVS {
		specs = append(specs, procSpec{Name: proxyProc(n), Netns: n.Netns, Path: p.KubeBinary, Args: []string{
			"kube-proxy",
			"--kubeconfig", p.path("kube-proxy.kubeconfig"),
			"--hostname-override", n.Name,
			"--proxy-mode", p.ProxyMode,
			"--cluster-cidr", p.PodCIDR,
			"--conntrack-max-per-core", "0",
			"--metrics-bind-address", "127.0.0.1:10249",
			"--healthz-bind-address", "0.0.0.0:10256",
			"--v", "1",
		}})
		specs[len(specs)-1].Args = append(specs[len(specs)-1].Args, kubeProxyFlags(p.ConntrackTimeouts)...)
	}
	return specs
}

// bindNodeRole lets lab kubelets (group system:nodes) use the system:node
// role everywhere, as a kubelet needs, without the Node authorizer's graph
// restrictions getting in the lab kubelet's way.
func bindNodeRole(ctx context.Context, cs kubernetes.Interface) error {
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "drill-lab:nodes"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:node"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:nodes"}},
	}
	_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("bind system:node role for lab kubelets: %w", err)
	}
	return nil
}
