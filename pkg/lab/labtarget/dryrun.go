package labtarget

import (
	"context"
	"fmt"

	"k8s.io/client-go/rest"

	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/scenario"
)

// DryRun says what Open would do with spec and name, and, for a running lab
// that spec names, returns its cluster.
func (Target) DryRun(_ context.Context, spec *scenario.Lab, name string) (string, *rest.Config, error) {
	if spec.Name == "" {
		return fmt.Sprintf("would bring up lab %q with %d nodes, kube-proxy %s, and its ALB",
			name, spec.Nodes, lab.ProxyModeLabel(spec.ProxyMode)), nil, nil
	}
	line := fmt.Sprintf("running lab %q and its ALB", spec.Name)
	l, err := lab.Open(spec.Name)
	if err != nil {
		return line, nil, err
	}
	rc, err := l.RESTConfig()
	return line, rc, err
}
