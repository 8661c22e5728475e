package lab

import (
	"context"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func kubeletProc(n NodePlan) string { return "kubelet-" + n.Name }
func proxyProc(n NodePlan) string   { return "kube-proxy-" + n.Name }

// nodeSpecs are a node's processes, all inside the node namespace:
// containerd, the upstream kubelet and kube-proxy.
func nodeSpecs(p Plan, n NodePlan) []procSpec {
	specs := realNodeSpecs(p, n)
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

// bindNodeRole lets the nodes' kubelets (group system:nodes) use the
// system:node role everywhere, as a kubelet needs, whatever the Node
// authorizer's graph allows them.
func bindNodeRole(ctx context.Context, cs kubernetes.Interface) error {
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "drill-lab:nodes"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:node"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:nodes"}},
	}
	_, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("bind system:node role for the kubelets: %w", err)
	}
	return nil
}
