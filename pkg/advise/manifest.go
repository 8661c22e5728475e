package advise

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"

	"gopkg.in/yaml.v3"
)

// Object names one object of the manifests and where it was read.
type Object struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	File      string `json:"file,omitempty"`
	Line      int    `json:"line,omitempty"`
	node      *yaml.Node
}

// String is kind/name, or kind/namespace/name in a namespace.
func (o Object) String() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// At returns o with Line set to the line of the field at path (mapping keys
// as strings, sequence indexes as ints), or of the deepest part of it that
// the manifest has.
func (o Object) At(path ...any) Object {
	n := o.node
	for _, p := range path {
		next, line := child(n, p)
		if next == nil {
			break
		}
		n, o.Line = next, line
	}
	return o
}

// child returns the node at p below n and the line that names it.
func child(n *yaml.Node, p any) (*yaml.Node, int) {
	if n == nil {
		return nil, 0
	}
	switch k := p.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil, 0
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				return n.Content[i+1], n.Content[i].Line
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && k >= 0 && k < len(n.Content) {
			return n.Content[k], n.Content[k].Line
		}
	}
	return nil, 0
}

// Item is a decoded object of kind T with where it was read.
type Item[T any] struct {
	Object
	V *T
}

// Manifests are the objects advise reads, in the order read. Objects of
// other kinds are left out.
type Manifests struct {
	Deployments    []Item[appsv1.Deployment]
	Services       []Item[corev1.Service]
	Ingresses      []Item[networkingv1.Ingress]
	PDBs           []Item[policyv1.PodDisruptionBudget]
	Namespaces     []Item[corev1.Namespace]
	IngressClasses []Item[networkingv1.IngressClass]
	seen           map[string]Object // by String, for duplicates
}
