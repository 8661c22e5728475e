package inject

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DeregistrationDelay changes the deregistration delay of the target groups
// of an Ingress through the ELBv2 API (the lab's, or AWS's on EKS), as a
// scenario variable: apply it at 0s to run the whole scenario with it.
// Recover restores each group's previous value.
type DeregistrationDelay struct {
	Ingress   string        `yaml:"ingress" json:"ingress" required:"true" doc:"Name of the Ingress whose target groups change."`
	Namespace string        `yaml:"namespace" json:"namespace,omitempty" doc:"Namespace of the Ingress; empty means the target's namespace."`
	Delay     time.Duration `yaml:"delay" json:"delay" required:"true" doc:"New deregistration delay, whole seconds from 0s to 1h."`
	// Previous holds each changed group's delay before Apply, by ARN.
	Previous map[string]time.Duration `yaml:"-" json:"previous,omitempty"`
}

// Name implements Fault.
func (f *DeregistrationDelay) Name() string {
	return fmt.Sprintf("deregistrationDelay ingress/%s to %s", f.Ingress, f.Delay)
}

func (f *DeregistrationDelay) Validate() error {
	if f.Delay > time.Hour || f.Delay%time.Second != 0 {
		return fmt.Errorf("delay %s: use whole seconds from 0s to 1h", f.Delay)
	}
	return nil
}

// errNoELB is returned when drill has no load balancer API to talk to.
var errNoELB = errors.New("this target has no load balancer API drill can reach: the lab's ALB serves one; on EKS drill uses the standard AWS credential chain and region")

// Apply implements Fault. Each group's current delay is journaled before it
// is changed.
func (f *DeregistrationDelay) Apply(ctx context.Context, env *Env) error {
	if env.ELB == nil {
		return errNoELB
	}
	ns := f.Namespace
	if ns == "" {
		ns = env.Namespace
	}
	if env.Cluster != nil {
		if err := env.Allowed(ctx, f, ns); err != nil {
			return err
		}
	}
	groups, err := env.ELB.TargetGroupsForIngress(ctx, ns, f.Ingress, "")
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name(), err)
	}
	if f.Previous == nil {
		f.Previous = map[string]time.Duration{}
	}
	for _, g := range groups {
		if _, done := f.Previous[g.ARN]; !done {
			prev, err := env.ELB.DeregistrationDelay(ctx, g.ARN)
			if err != nil {
				return fmt.Errorf("%s: %w", f.Name(), err)
			}
			f.Previous[g.ARN] = prev
			env.changed(f)
		}
		env.would("ModifyTargetGroupAttributes %s deregistration_delay.timeout_seconds=%d (was %d)", g.Name, int(f.Delay/time.Second), int(f.Previous[g.ARN]/time.Second))
		if env.DryRun {
			continue
		}
		if _, err := env.ELB.SetDeregistrationDelay(ctx, g.ARN, f.Delay); err != nil {
			return fmt.Errorf("%s: %w", f.Name(), err)
		}
		env.note("fault", "target group %s: deregistration delay %s → %s", g.Name, f.Previous[g.ARN], f.Delay)
	}
	return nil
}

// Recover implements Fault.
func (f *DeregistrationDelay) Recover(ctx context.Context, env *Env) error {
	if len(f.Previous) == 0 {
		return nil
	}
	if env.ELB == nil && env.LabELBEnded {
		env.note("fault", "%s: the lab ALB that held it ended with the drill run that served it; nothing is left to restore", f.Name())
		return nil
	}
	if env.ELB == nil {
		return errNoELB
	}
	var errs []error
	for arn, d := range f.Previous {
		if _, err := env.ELB.SetDeregistrationDelay(ctx, arn, d); err != nil {
			errs = append(errs, err)
			continue
		}
		env.note("fault", "target group %s: deregistration delay restored to %s", arn, d)
	}
	return errors.Join(errs...)
}
