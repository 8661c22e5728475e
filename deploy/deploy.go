// Package deploy holds drill's Kubernetes manifests: the node agent
// DaemonSet (agent.yaml) and drill's RBAC (rbac*.yaml). They are files for
// kubectl and, embedded here, objects for code that installs the agent
// (drill on the lab, tests).
package deploy

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

//go:embed agent.yaml
var agentYAML []byte

// AgentNamespace is the namespace agent.yaml creates and runs the agent in.
const AgentNamespace = "drill-system"

// AgentImage is the image agent.yaml runs.
const AgentImage = "ghcr.io/drillkit/drill:latest"

// AgentObjects decodes agent.yaml (Namespace, ServiceAccount, DaemonSet),
// with the agent container's image replaced by image when it is not empty.
func AgentObjects(image string) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(agentYAML), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("decode agent.yaml: %w", err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if image != "" && u.GetKind() == "DaemonSet" {
			containers, _, err := unstructured.NestedSlice(m, "spec", "template", "spec", "containers")
			if err != nil || len(containers) == 0 {
				return nil, fmt.Errorf("agent.yaml: DaemonSet without containers: %v", err)
			}
			c, ok := containers[0].(map[string]any)
			if !ok {
				return nil, errors.New("agent.yaml: malformed container")
			}
			c["image"] = image
			if err := unstructured.SetNestedSlice(m, containers, "spec", "template", "spec", "containers"); err != nil {
				return nil, err
			}
		}
		out = append(out, u)
	}
	return out, nil
}
