package kubelet

import (
	"context"
	"errors"
	"fmt"
)

// Run runs the lab kubelet until ctx is cancelled. It returns nil after a clean
// stop and an error when the configuration is invalid or the API server cannot
// be used.
func Run(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("kubelet config: %w", err)
	}
	<-ctx.Done()
	return errors.New("kubelet: not implemented yet")
}
