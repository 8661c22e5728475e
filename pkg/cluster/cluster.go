// Package cluster is drill's access to a Kubernetes cluster, the lab's or a
// real one, through client-go: connecting, applying the scenario's setup
// manifests, waiting for them to be ready and deleting them afterwards.
package cluster

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// FieldManager is the server-side apply field manager drill uses.
const FieldManager = "drill"

// Cluster holds the clients drill uses against one cluster.
type Cluster struct {
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	mapper  meta.RESTMapper
}

// New returns a Cluster for cfg.
func New(cfg *rest.Config) (*Cluster, error) {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	return &Cluster{Client: client, Dynamic: dyn, mapper: mapper}, nil
}

// FromKubeconfig connects like kubectl: path empty means $KUBECONFIG, then
// ~/.kube/config; context empty means the current context.
func FromKubeconfig(path, context string) (*Cluster, error) {
	return Open(Selection{Kubeconfig: path, Context: context})
}
