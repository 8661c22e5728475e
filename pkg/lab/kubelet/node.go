package kubelet

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

// maxPods is the pod capacity a node reports unless its pod CIDR is smaller.
const maxPods = 110

// leaseDuration is the node lease's duration; it is renewed every 10 s.
const leaseDuration = 40

// nodeLabels returns the Node's labels: the well-known ones plus cfg.Labels.
func (k *kubelet) nodeLabels() map[string]string {
	l := map[string]string{
		"kubernetes.io/hostname": k.cfg.NodeName,
		"kubernetes.io/os":       "linux",
		"kubernetes.io/arch":     runtime.GOARCH,
		"beta.kubernetes.io/os":  "linux",
		"drill.dev/lab":          k.cfg.Lab,
	}
	for key, v := range k.cfg.Labels {
		l[key] = v
	}
	return l
}

// nodeCapacity returns cpu, memory and pods of this node.
func (k *kubelet) nodeCapacity() v1.ResourceList {
	pods := int64(maxPods)
	if _, n, err := net.ParseCIDR(k.cfg.PodCIDR); err == nil {
		ones, bits := n.Mask.Size()
		if usable := int64(1)<<uint(bits-ones) - 3; usable < pods {
			pods = usable
		}
	}
	return v1.ResourceList{
		v1.ResourceCPU:              *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
		v1.ResourceMemory:           *resource.NewQuantity(memTotal(), resource.BinarySI),
		v1.ResourcePods:             *resource.NewQuantity(pods, resource.DecimalSI),
		v1.ResourceEphemeralStorage: *resource.NewQuantity(20<<30, resource.BinarySI),
	}
}

// memTotal returns MemTotal from /proc/meminfo in bytes (4 GiB if unreadable).
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 4 << 30
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			if kb, err := strconv.ParseInt(fields[1], 10, 64); err == nil {
				return kb << 10
			}
		}
	}
	return 4 << 30
}

// readTrim returns the trimmed content of a small file, or "".
func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// osImage returns PRETTY_NAME from /etc/os-release.
func osImage() string {
	for _, line := range strings.Split(readTrim("/etc/os-release"), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return "Linux"
}

// kernelVersion returns the running kernel's release.
func kernelVersion() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return ""
	}
	var b strings.Builder
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	return b.String()
}

// nodeConditions returns the conditions the kubelet reports, stamped now.
// Transition times of unchanged conditions are kept from old.
func nodeConditions(old []v1.NodeCondition, now metav1.Time) []v1.NodeCondition {
	want := []v1.NodeCondition{
		{Type: v1.NodeMemoryPressure, Status: v1.ConditionFalse, Reason: "KubeletHasSufficientMemory", Message: "kubelet has sufficient memory available"},
		{Type: v1.NodeDiskPressure, Status: v1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", Message: "kubelet has no disk pressure"},
		{Type: v1.NodePIDPressure, Status: v1.ConditionFalse, Reason: "KubeletHasSufficientPID", Message: "kubelet has sufficient PID available"},
		{Type: v1.NodeReady, Status: v1.ConditionTrue, Reason: "KubeletReady", Message: "lab kubelet is posting ready status"},
	}
	for i := range want {
		want[i].LastHeartbeatTime = now
		want[i].LastTransitionTime = now
		for _, o := range old {
			if o.Type == want[i].Type && o.Status == want[i].Status {
				want[i].LastTransitionTime = o.LastTransitionTime
			}
		}
	}
	// Conditions others own (e.g. NetworkUnavailable) are kept.
	for _, o := range old {
		mine := false
		for _, w := range want {
			mine = mine || w.Type == o.Type
		}
		if !mine {
			want = append(want, o)
		}
	}
	return want
}

// nodeStatus fills the status fields the kubelet owns.
func (k *kubelet) nodeStatus(st *v1.NodeStatus, now metav1.Time) {
	capacity := k.nodeCapacity()
	st.Capacity = capacity
	st.Allocatable = capacity.DeepCopy()
	st.Addresses = []v1.NodeAddress{
		{Type: v1.NodeInternalIP, Address: k.cfg.NodeIP},
		{Type: v1.NodeHostName, Address: k.cfg.NodeName},
	}
	st.Conditions = nodeConditions(st.Conditions, now)
	st.NodeInfo = v1.NodeSystemInfo{
		MachineID:               readTrim("/etc/machine-id"),
		SystemUUID:              readTrim("/etc/machine-id"),
		BootID:                  readTrim("/proc/sys/kernel/random/boot_id"),
		KernelVersion:           kernelVersion(),
		OSImage:                 osImage(),
		ContainerRuntimeVersion: "drill://" + Version,
		KubeletVersion:          Version,
		OperatingSystem:         "linux",
		Architecture:            runtime.GOARCH,
	}
	st.Phase = ""
	st.DaemonEndpoints.KubeletEndpoint.Port = ServerPort
}

// registerNode creates the Node (or takes over an existing one with the same
// name and pod CIDR) and posts its status.
func (k *kubelet) registerNode(ctx context.Context) (*v1.Node, error) {
	nodes := k.client.CoreV1().Nodes()
	now := metav1.Now()
	want := &v1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: k.cfg.NodeName, Labels: k.nodeLabels()},
		Spec:       v1.NodeSpec{PodCIDR: k.cfg.PodCIDR, PodCIDRs: []string{k.cfg.PodCIDR}},
	}
	k.nodeStatus(&want.Status, now)
	var node *v1.Node
	// Keep trying while the API server is unreachable (up to about a minute).
	backoff := wait.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Cap: 5 * time.Second, Steps: 20}
	err := retry.OnError(backoff, func(err error) bool {
		if apierrors.IsInvalid(err) || ctx.Err() != nil {
			return false
		}
		k.log.Warn("node registration failed, retrying", "err", err)
		return true
	}, func() error {
		created, err := nodes.Create(ctx, want, metav1.CreateOptions{})
		if err == nil {
			node = created
			return nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return err
		}
		existing, err := nodes.Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if existing.Spec.PodCIDR != "" && existing.Spec.PodCIDR != k.cfg.PodCIDR {
			return apierrors.NewInvalid(v1.SchemeGroupVersion.WithKind("Node").GroupKind(), k.cfg.NodeName, nil)
		}
		upd := existing.DeepCopy()
		if upd.Labels == nil {
			upd.Labels = map[string]string{}
		}
		for key, v := range want.Labels {
			upd.Labels[key] = v
		}
		upd.Spec.PodCIDR, upd.Spec.PodCIDRs = k.cfg.PodCIDR, []string{k.cfg.PodCIDR}
		node, err = nodes.Update(ctx, upd, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		if apierrors.IsInvalid(err) {
			return nil, fmt.Errorf("kubelet: node %s already exists with pod CIDR different from %s: delete the Node (kubectl delete node %s) or use its CIDR", k.cfg.NodeName, k.cfg.PodCIDR, k.cfg.NodeName)
		}
		return nil, fmt.Errorf("kubelet: register node %s: %w (is the lab API server up?)", k.cfg.NodeName, err)
	}
	if err := k.updateNodeStatus(ctx); err != nil {
		return nil, err
	}
	return node, nil
}

// updateNodeStatus posts fresh node status (Ready heartbeat, addresses,
// capacity) through the nodes/status subresource.
func (k *kubelet) updateNodeStatus(ctx context.Context) error {
	nodes := k.client.CoreV1().Nodes()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := nodes.Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		n = n.DeepCopy()
		k.nodeStatus(&n.Status, metav1.Now())
		_, err = nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("kubelet: update node %s status: %w", k.cfg.NodeName, err)
	}
	return nil
}

// nodeStatusLoop refreshes the node status every period until ctx ends.
func (k *kubelet) nodeStatusLoop(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := k.updateNodeStatus(ctx)
			if apierrors.IsNotFound(err) {
				// Someone deleted the Node: register it again.
				k.log.Warn("node object was deleted, registering again")
				_, err = k.registerNode(ctx)
			}
			if err != nil && ctx.Err() == nil {
				k.log.Warn("node status update failed", "err", err)
			}
		}
	}
}

// leaseLoop creates and renews the node's Lease in kube-node-lease.
func (k *kubelet) leaseLoop(ctx context.Context, period time.Duration) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		if err := k.renewLease(ctx); err != nil && ctx.Err() == nil {
			k.log.Warn("node lease renewal failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// renewLease creates the node Lease or bumps its renewTime.
func (k *kubelet) renewLease(ctx context.Context) error {
	leases := k.client.CoordinationV1().Leases(v1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	l, err := leases.Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		// The Lease is owned by the Node (as the kubelet's), so it goes with it.
		node, err := k.client.CoreV1().Nodes().Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		_, err = leases.Create(ctx, &coordv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name:      k.cfg.NodeName,
				Namespace: v1.NamespaceNodeLease,
				OwnerReferences: []metav1.OwnerReference{{
					APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID,
				}},
			},
			Spec: coordv1.LeaseSpec{
				HolderIdentity:       ptr.To(k.cfg.NodeName),
				LeaseDurationSeconds: ptr.To[int32](leaseDuration),
				RenewTime:            &now,
			},
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	l = l.DeepCopy()
	l.Spec.HolderIdentity = ptr.To(k.cfg.NodeName)
	l.Spec.LeaseDurationSeconds = ptr.To[int32](leaseDuration)
	l.Spec.RenewTime = &now
	_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
	return err
}
