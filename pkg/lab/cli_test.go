//go:build lab

package lab

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/drillkit/drill/pkg/testenv"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// TestCLI drives the real binary: drill lab up, status, kubeconfig, down.
func TestCLI(t *testing.T) {
	t.Parallel()
	drill, kube := requireLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	root := t.TempDir()
	name, err := testenv.LabName("labcli")
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, string, error) {
		t.Helper()
		cmd := exec.CommandContext(ctx, drill, append([]string{"lab"}, args...)...)
		cmd.Env = append(os.Environ(), EnvKubeBinary+"="+kube)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	common := []string{"--name", name, "--state-root", root}
	t.Cleanup(func() { _ = DownIn(context.Background(), root, name, nil) })

	if _, stderr, err := run(append([]string{"up", "--nodes", "1", "--proxy-mode", "nftables"}, common...)...); err != nil {
		t.Fatalf("drill lab up: %v\n%s", err, stderr)
	} else if !strings.Contains(stderr, "1 nodes Ready") || !strings.Contains(stderr, "export KUBECONFIG=") {
		t.Errorf("drill lab up progress lacks the Ready line or the KUBECONFIG hint:\n%s", stderr)
	}

	stdout, stderr, err := run(append([]string{"kubeconfig"}, common...)...)
	if err != nil {
		t.Fatalf("drill lab kubeconfig: %v\n%s", err, stderr)
	}
	path := strings.TrimSpace(stdout)
	rc, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("kubeconfig %q: %v", path, err)
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != "v1.37.2" {
		t.Errorf("server version %q, want v1.37.2 (set at link time)", v.GitVersion)
	}
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) != 1 {
		t.Fatalf("nodes through the CLI's kubeconfig: %v, %d nodes", err, len(nodes.Items))
	}

	stdout, stderr, err = run(append([]string{"status", "--json"}, common...)...)
	if err != nil {
		t.Fatalf("drill lab status: %v\n%s%s", err, stdout, stderr)
	}
	var st Status
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, stdout)
	}
	if !st.APIReady || len(st.Nodes) != 1 || !st.Nodes[0].Ready || st.ProxyMode != ProxyNFTables || len(st.Problems) > 0 {
		t.Errorf("status = %+v", st)
	}

	// up again: the healthy lab is reused.
	if _, stderr, err := run(append([]string{"up", "--nodes", "1", "--proxy-mode", "nftables"}, common...)...); err != nil || !strings.Contains(stderr, "already up") {
		t.Errorf("second drill lab up: %v\n%s", err, stderr)
	}
	// up with another shape: refused, with what to do.
	if _, stderr, err := run(append([]string{"up", "--nodes", "2"}, common...)...); err == nil || !strings.Contains(stderr, "drill lab down") {
		t.Errorf("drill lab up with another shape: err %v, stderr %s; want a refusal naming drill lab down", err, stderr)
	}

	if _, stderr, err := run(append([]string{"down"}, common...)...); err != nil {
		t.Fatalf("drill lab down: %v\n%s", err, stderr)
	}
	if left := Leftovers(root, name); len(left) > 0 {
		t.Errorf("after drill lab down: %s", strings.Join(left, "; "))
	}
	if _, stderr, err := run(append([]string{"status"}, common...)...); err == nil || !strings.Contains(stderr, "drill lab up") {
		t.Errorf("status after down: err %v, stderr %s; want an error saying how to create it", err, stderr)
	}
}
