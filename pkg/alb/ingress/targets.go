package ingress

import (
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/alb/dataplane"
	"github.com/drillkit/drill/pkg/awslb"
)

// ensureGroup creates the target group or applies changed annotations.
func (c *Controller) ensureGroup(dg *desiredGroup) (*dataplane.TargetGroup, error) {
	c.mu.Lock()
	mg, ok := c.groups[dg.name]
	c.mu.Unlock()
	hc := dg.settings.health.WithDefaults()
	if !ok {
		cfg := dataplane.TargetGroupConfig{
			Name: dg.name, TargetType: dg.settings.targetType, Port: int(dg.port.Port), HealthCheck: hc,
			Tags: map[string]string{
				"ingress.k8s.aws/stack":    ingressKey(dg.ingress),
				"ingress.k8s.aws/resource": ingressKey(dg.ingress) + "-" + dg.svc.Name + ":" + strconv.Itoa(int(dg.port.Port)),
				"elbv2.k8s.aws/cluster":    c.cfg.ClusterName,
			},
		}
		if dg.settings.targetType == awslb.TargetTypeInstance {
			cfg.Port = int(dg.port.NodePort)
		}
		if dg.settings.delaySet {
			cfg.DeregistrationDelay = dg.settings.delay
			if cfg.DeregistrationDelay == 0 {
				cfg.DeregistrationDelay = dataplane.NoDelay
			}
		}
		tg, err := c.lb.CreateTargetGroup(cfg)
		if err != nil {
			return nil, err
		}
		c.log.Info("target group created", "name", dg.name, "type", cfg.TargetType, "ingress", ingressKey(dg.ingress), "service", dg.svc.Name)
		mg = &managedGroup{tg: tg, ingress: ingressKey(dg.ingress), settings: dg.settings, pods: dg.pods}
		c.mu.Lock()
		c.groups[dg.name] = mg
		c.mu.Unlock()
		return tg, nil
	}
	// Apply only what the annotations changed, so a delay changed through
	// the API (ModifyTargetGroupAttributes) stays until the annotation does.
	if mg.settings.health != dg.settings.health {
		if err := mg.tg.SetHealthCheck(hc); err != nil {
			return nil, err
		}
	}
	if mg.settings.delaySet != dg.settings.delaySet || mg.settings.delay != dg.settings.delay {
		d := dataplane.DefaultDeregistrationDelay
		if dg.settings.delaySet {
			d = dg.settings.delay
		}
		if err := mg.tg.SetDeregistrationDelay(d); err != nil {
			return nil, err
		}
	}
	if mg.settings.targetType != dg.settings.targetType {
		c.log.Warn("target type changed: delete and recreate the Ingress to apply it", "targetGroup", dg.name)
	}
	c.mu.Lock()
	mg.settings, mg.pods = dg.settings, mergePods(mg.pods, dg.pods)
	c.mu.Unlock()
	return mg.tg, nil
}

// mergePods keeps pod references of targets that may still be draining.
func mergePods(old, cur map[string]podRef) map[string]podRef {
	out := make(map[string]podRef, len(cur))
	for k, v := range old {
		out[k] = v
	}
	for k, v := range cur {
		out[k] = v
	}
	return out
}

// syncTargets schedules (de)registrations after the registration delay.
func (c *Controller) syncTargets(dg *desiredGroup, tg *dataplane.TargetGroup) {
	registered := map[string]dataplane.TargetSpec{}
	for _, s := range tg.Targets() {
		registered[s.Key()] = s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	schedule := func(s dataplane.TargetSpec, register bool) {
		key := dg.name + "|" + s.Key()
		if p, ok := c.pending[key]; ok {
			if p.register == register {
				return
			}
			p.timer.Stop()
			delete(c.pending, key)
			return // the earlier opposite change never happened
		}
		p := &pendingOp{register: register, spec: s}
		p.timer = time.AfterFunc(c.cfg.RegistrationDelay, func() {
			c.mu.Lock()
			if c.pending[key] != p {
				c.mu.Unlock()
				return
			}
			delete(c.pending, key)
			c.mu.Unlock()
			if register {
				tg.Register(s)
			} else {
				tg.Deregister(s.Key())
			}
			c.log.Info("target", "op", map[bool]string{true: "register", false: "deregister"}[register], "targetGroup", tg.Name(), "target", s.Key())
		})
		c.pending[key] = p
	}
	for k, s := range dg.targets {
		if _, ok := registered[k]; !ok {
			schedule(s, true)
		} else if p, ok := c.pending[dg.name+"|"+k]; ok && !p.register {
			p.timer.Stop()
			delete(c.pending, dg.name+"|"+k)
		}
	}
	for k, s := range registered {
		if _, ok := dg.targets[k]; !ok {
			schedule(s, false)
		} else if p, ok := c.pending[dg.name+"|"+k]; ok && p.register {
			p.timer.Stop()
			delete(c.pending, dg.name+"|"+k)
		}
	}
}

// removeGroups deletes the target groups made for an Ingress (namespace/name)
// that keep does not name, with their pending (de)registrations.
func (c *Controller) removeGroups(ingress string, keep map[string]*desiredGroup) {
	c.mu.Lock()
	var gone []*managedGroup
	for name, mg := range c.groups {
		if _, ok := keep[name]; ok || mg.ingress != ingress {
			continue
		}
		gone = append(gone, mg)
		delete(c.groups, name)
		for k, p := range c.pending {
			if strings.HasPrefix(k, name+"|") {
				p.timer.Stop()
				delete(c.pending, k)
			}
		}
	}
	c.mu.Unlock()
	for _, mg := range gone {
		if err := c.lb.DeleteTargetGroup(mg.tg.ARN()); err != nil {
			c.log.Warn("delete target group", "name", mg.tg.Name(), "err", err)
		}
	}
}
