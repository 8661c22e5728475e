//go:build lab

package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/drillkit/drill/deploy"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtest"
	"github.com/drillkit/drill/pkg/sample"
)

// TestImageRunsTheAgent loads the archive make image writes into a lab's
// node (containerd, as a cluster's nodes pull it), runs deploy/agent.yaml
// with that image and reads the agent: the pod runs exactly the built
// image, and the datapath tools in it read conntrack, iptables and
// nftables on the node.
func TestImageRunsTheAgent(t *testing.T) {
	drill, _ := labtest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const version = "v0.0.0-labtest"
	dir := t.TempDir()
	lp, archive := filepath.Join(dir, "layout"), filepath.Join(dir, "drill.oci.tar")
	var out bytes.Buffer
	if err := run([]string{"--version", version, "--drill", drill, "--layout", lp, "--archive", archive}, &out); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	idx, err := layout.ImageIndexFromPath(lp)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	configDigest, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}

	l := labtest.Up(ctx, t, lab.Config{Name: "img", Nodes: 1})
	ref := "ghcr.io/drillkit/drill:" + version
	loaded, err := l.LoadImages(ctx, archive)
	if err != nil || !slices.Contains(loaded, ref) {
		t.Fatalf("load-image: %v, loaded %v, want %s", err, loaded, ref)
	}
	objs, err := deploy.AgentObjects(ref)
	if err != nil {
		t.Fatal(err)
	}
	if applied, err := labtest.Cluster(t, l).Apply(ctx, deploy.AgentNamespace, objs); err != nil {
		t.Fatalf("apply the agent manifest: %v (applied %v)", err, applied)
	}
	cs, err := l.Client()
	if err != nil {
		t.Fatal(err)
	}
	s := sample.NewNodeSampler(cs, sample.AgentConfig{})
	wctx, wcancel := context.WithTimeout(ctx, 2*time.Minute)
	agents, err := s.WaitAgents(wctx)
	wcancel()
	if err != nil || len(agents) != 1 {
		t.Fatalf("agents %v: %v", agents, err)
	}
	pods, err := cs.CoreV1().Pods(deploy.AgentNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=drill-agent"})
	if err != nil || len(pods.Items) != 1 || len(pods.Items[0].Status.ContainerStatuses) != 1 {
		t.Fatalf("agent pods: %v %+v", err, pods)
	}
	if st := pods.Items[0].Status.ContainerStatuses[0]; st.Image != ref || st.ImageID != configDigest.String() {
		t.Errorf("the agent runs %s (%s), want %s (%s)", st.Image, st.ImageID, ref, configDigest)
	}
	round, err := s.Sample(ctx)
	if err != nil || len(round) != 1 || round[0].State == nil {
		t.Fatalf("sample: %v %+v", err, round)
	}
	st := round[0].State
	if !st.Conntrack.Available || !st.IPTables.Available || !st.NFTables.Available {
		t.Errorf("agent from the built image: conntrack %v (%s), iptables %v (%s), nftables %v (%s)",
			st.Conntrack.Available, st.Conntrack.Reason, st.IPTables.Available, st.IPTables.Reason, st.NFTables.Available, st.NFTables.Reason)
	}
	if st.IPTables.Rules == 0 {
		t.Errorf("iptables-save in the image counted no rule on a node kube-proxy runs on")
	}
}
