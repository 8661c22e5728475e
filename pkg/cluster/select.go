package cluster

import (
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Selection names a cluster and a namespace as kubectl's flags do. Empty
// fields mean kubectl's defaults: Kubeconfig empty is $KUBECONFIG (several
// files joined by the path list separator, merged by clientcmd's rules),
// then ~/.kube/config; Context empty is the current context.
type Selection struct {
	Kubeconfig, Context, Namespace string
}

// Override returns s with every field o sets taken from o: the command
// line over the scenario.
func (s Selection) Override(o Selection) Selection {
	if o.Kubeconfig != "" {
		s.Kubeconfig = o.Kubeconfig
	}
	if o.Context != "" {
		s.Context = o.Context
	}
	if o.Namespace != "" {
		s.Namespace = o.Namespace
	}
	return s
}

// IsZero reports whether s selects nothing beyond the defaults.
func (s Selection) IsZero() bool { return s == Selection{} }

// ClientConfig is the kubeconfig s selects, loaded like kubectl does.
func (s Selection) ClientConfig() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = s.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: s.Context, Context: clientcmdapi.Context{Namespace: s.Namespace}}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
}

// RESTConfig is the client configuration of the selected cluster.
func (s Selection) RESTConfig() (*rest.Config, error) {
	cfg, err := s.ClientConfig().ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w; set target.kube.kubeconfig, --kubeconfig or $KUBECONFIG", err)
	}
	return cfg, nil
}

// Open connects to the selected cluster.
func Open(s Selection) (*Cluster, error) {
	cfg, err := s.RESTConfig()
	if err != nil {
		return nil, err
	}
	return New(cfg)
}
