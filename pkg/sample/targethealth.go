package sample

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/drillkit/drill/pkg/elbv2"
	"github.com/drillkit/drill/pkg/report"
)

// lastSampleTimeout bounds the sample TargetHealth takes when it stops.
const lastSampleTimeout = 10 * time.Second

// TargetHealth samples the load balancer's target health every interval
// from Start until Stop and puts every change of a target's state on the
// timeline (the first sample shows every target appearing). Stop samples
// once more, so that what changed since the last tick (a target drained
// during recovery) is kept, and returns the reads that failed.
type TargetHealth struct {
	elb      *elbv2.Client
	groups   []elbv2.TargetGroup
	interval time.Duration
	emit     func(Event)
	obs      Observer

	// ctx is Start's without its cancellation: the last sample is taken
	// when the run's context may have ended (an interrupt).
	ctx    context.Context
	cancel context.CancelFunc
	wait   func()
	last   map[string]elbv2.Sample // by ARN
	reads  int
	failed map[string]*readFailures // by target group name
}

// readFailures are the failed reads of one target group.
type readFailures struct {
	count int
	last  string
}

// NewTargetHealth samples the health of the targets of groups every
// interval.
func NewTargetHealth(elb *elbv2.Client, groups []elbv2.TargetGroup, interval time.Duration) *TargetHealth {
	return &TargetHealth{elb: elb, groups: groups, interval: interval, last: map[string]elbv2.Sample{}, failed: map[string]*readFailures{}}
}

// SetEvents implements WithEvents.
func (h *TargetHealth) SetEvents(emit func(Event)) { h.emit = emit }

// Observe implements WithObserver: o receives every read of a group.
func (h *TargetHealth) Observe(o Observer) { h.obs = o }

// Start implements Sampler: it takes the first sample before it
// goes on in the background.
func (h *TargetHealth) Start(ctx context.Context) error {
	if h.interval <= 0 {
		return fmt.Errorf("target health sampling: the interval %s must be positive", h.interval)
	}
	h.ctx = context.WithoutCancel(ctx)
	ctx, h.cancel = context.WithCancel(ctx)
	h.record(h.elb.SampleOnce(ctx, h.groups))
	h.wait = repeat(ctx, h.interval, func(ctx context.Context) {
		if samples := h.elb.SampleOnce(ctx, h.groups); ctx.Err() == nil {
			h.record(samples)
		}
	})
	return nil
}

// Stop implements Sampler.
func (h *TargetHealth) Stop() error {
	h.cancel()
	h.wait()
	ctx, cancel := context.WithTimeout(h.ctx, lastSampleTimeout)
	defer cancel()
	h.record(h.elb.SampleOnce(ctx, h.groups))
	var errs []error
	for _, g := range h.groups {
		if f := h.failed[g.Name]; f != nil {
			errs = append(errs, fmt.Errorf("target health of %s: %d of %d reads failed, the last: %s", g.Name, f.count, h.reads, f.last))
		}
	}
	return errors.Join(errs...)
}

// record emits what changed in each group since its last read, and
// counts the reads that failed.
func (h *TargetHealth) record(samples []elbv2.Sample) {
	h.reads++
	for _, s := range samples {
		if s.Err != "" {
			f := h.failed[s.TargetGroup]
			if f == nil {
				f = &readFailures{}
				h.failed[s.TargetGroup] = f
			}
			f.count++
			f.last = s.Err
			continue
		}
		if h.obs != nil {
			h.obs.TargetHealth(s)
		}
		for _, tr := range elbv2.Diff(h.last[s.ARN], s) {
			if h.emit != nil {
				h.emit(Event{Kind: EventTarget, Source: tr.Target, Message: transitionMessage(tr), Fields: transitionFields(tr)})
			}
		}
		h.last[s.ARN] = s
	}
}

// transitionMessage is a target's change for the timeline, e.g. "target
// 10.0.0.1:8080 in web: healthy → draining (Target.DeregistrationInProgress)".
func transitionMessage(tr elbv2.Transition) string {
	msg := fmt.Sprintf("target %s in %s: %s → %s", tr.Target, tr.TargetGroup, orNone(tr.From), orNone(tr.To))
	if tr.Reason != "" {
		msg += " (" + tr.Reason + ")"
	}
	return msg
}

// transitionFields is a target's change in structured form.
func transitionFields(tr elbv2.Transition) map[string]string {
	f := map[string]string{report.FieldTarget: tr.Target, report.FieldTargetGroup: tr.TargetGroup, report.FieldFrom: tr.From, report.FieldTo: tr.To}
	if tr.Reason != "" {
		f[report.FieldReason] = tr.Reason
	}
	return f
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

var _ WithEvents = (*TargetHealth)(nil)
