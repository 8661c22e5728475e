package run

import (
	"context"
	"fmt"
	"io"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/scenario"
)

// openLab brings up (or opens) the embedded lab for a run.
func (s *system) openLab(ctx context.Context, l *scenario.Lab, progress io.Writer) error {
	return &Error{Code: report.ExitError, Err: fmt.Errorf(
		"target lab: load into the lab goes through the lab load balancer, which this drill does not have yet; use target.url or target.kube for now")}
}
