package advise

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/drillkit/drill/pkg/agent"
	"github.com/drillkit/drill/pkg/sample"
)

// timeWaitSysctl is the TIME_WAIT timeout among the agent's conntrack
// timeouts.
const timeWaitSysctl = "tcp_timeout_time_wait"

// ReadNodes reads every node's conntrack table through drill's agent
// DaemonSet (deploy/agent.yaml) on the cluster of client. Nodes the agent
// could not read are listed in the error beside the nodes it could.
func ReadNodes(ctx context.Context, client kubernetes.Interface) ([]NodeConntrack, error) {
	round, err := sample.NewNodeSampler(client, sample.AgentConfig{Parts: []string{agent.PartConntrack}}).Sample(ctx)
	if err != nil {
		return nil, err
	}
	var out []NodeConntrack
	var unread []error
	for _, ns := range round {
		if ns.State == nil || !ns.State.Conntrack.Available {
			why := ns.Err
			if ns.State != nil {
				why = ns.State.Conntrack.Reason
			}
			unread = append(unread, fmt.Errorf("node %s: conntrack not read: %s", ns.Node, why))
			continue
		}
		c := ns.State.Conntrack
		out = append(out, NodeConntrack{Node: ns.Node, Count: c.Count, Max: c.Max,
			TimeWait: time.Duration(c.Timeouts[timeWaitSysctl]) * time.Second})
	}
	return out, errors.Join(unread...)
}
