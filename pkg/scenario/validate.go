package scenario

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/load"
)

// validate checks what the decoder cannot see field by field: allowed
// values, combinations and cross references. It fills in the defaults that
// depend on other fields. With files, setup manifests must exist.
func validate(d *decoder, s *Scenario, files bool) {
	if d.has("apiVersion") && s.APIVersion != APIVersion {
		d.errorf(d.valueAt("apiVersion"), "apiVersion", "unsupported apiVersion %q: this drill reads %s", s.APIVersion, APIVersion)
	}
	if d.has("kind") && s.Kind != KindScenario {
		d.errorf(d.valueAt("kind"), "kind", "kind must be %s, not %q", KindScenario, s.Kind)
	}
	if d.has("metadata.name") {
		if msg := checkName(s.Metadata.Name); msg != "" {
			d.errorf(d.valueAt("metadata.name"), "metadata.name", "%s", msg)
		}
	}
	validateTarget(d, s)
	kind := s.Target.Kind()
	local := kind == TargetURL

	if local && d.has("setup") {
		d.errorf(d.at("setup"), "setup", "setup needs a lab or kube target: with a url target drill only sends load; remove setup or change the target")
	}
	for i, p := range s.Setup {
		path := fmt.Sprintf("setup[%d]", i)
		switch {
		case strings.TrimSpace(p) == "":
			d.errorf(d.valueAt(path), path, "empty manifest path")
		case files && !local:
			if _, err := os.Stat(s.resolve(p)); err != nil {
				d.errorf(d.valueAt(path), path, "manifest %s: %v (paths are relative to the scenario file)", s.resolve(p), unwrapPath(err))
			}
		}
	}

	validateImages(d, s, files)
	validateBodyFiles(d, s, files)

	if d.has("load") {
		validateLoad(d, s)
	}
	total := s.TotalDuration()

	if local && d.has("faults") {
		d.errorf(d.at("faults"), "faults", "faults need a lab or kube target: with a url target drill only sends load; remove faults or change the target")
	}
	for i, f := range s.Faults {
		path := fmt.Sprintf("faults[%d].at", i)
		if total > 0 && d.valid(path) && f.At >= total {
			d.errorf(d.valueAt(path), path, "at %s is not before the end of the load (%s): the fault would never be applied", short(f.At), short(total))
		}
	}

	if local && d.has("sample") {
		d.errorf(d.at("sample"), "sample", "sampling needs a lab or kube target: with a url target there are no nodes to sample; remove sample or change the target")
	}
	if d.valid("sample.interval") && s.Sample.Interval < 100*time.Millisecond {
		d.errorf(d.valueAt("sample.interval"), "sample.interval", "interval %s is below the minimum of 100ms", short(s.Sample.Interval))
	}
	seen := map[string]bool{}
	for i, n := range s.Sample.Nodes {
		if n != "" && seen[n] {
			path := fmt.Sprintf("sample.nodes[%d]", i)
			d.errorf(d.valueAt(path), path, "%s listed twice", n)
		}
		seen[n] = true
	}

	if local && d.has("timeouts") {
		d.errorf(d.at("timeouts"), "timeouts", "timeouts bound setup, its deletion and fault recovery, which a url target has none of; remove timeouts or change the target")
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"setup", s.Timeouts.Setup}, {"delete", s.Timeouts.Delete}, {"recover", s.Timeouts.Recover}} {
		path := "timeouts." + f.name
		if d.valid(path) && f.v == 0 {
			d.errorf(d.valueAt(path), path, "%s must be above zero", f.name)
		}
		d.hugeDuration(path, f.name, f.v, MaxTimeout)
	}

	validateMatrix(d, s)
	if n := s.Matrix.size() * s.Repeat; d.valid("repeat") && n > maxRuns {
		d.errorf(d.valueAt("repeat"), "repeat", "%d combinations repeated %d times are %d runs: at most %d per scenario; lower repeat or drop matrix values", s.Matrix.size(), s.Repeat, n, maxRuns)
	}

	if d.valid("abortGrace") && s.AbortGrace < 100*time.Millisecond {
		d.errorf(d.valueAt("abortGrace"), "abortGrace", "abortGrace %s is below the minimum of 100ms: requests that fast would count as failed while in flight", short(s.AbortGrace))
	}
	for i, a := range s.AbortWhen {
		path := fmt.Sprintf("abortWhen[%d]", i)
		if total > 0 && a.Condition.For > total {
			d.errorf(d.valueAt(path), path, "for %s is longer than the load (%s): the condition could never fire", short(a.Condition.For), short(total))
		}
	}
}

// minHostConntrackMax is the smallest global conntrack limit a scenario may
// set: below it, the host's own connections would start to fail.
const minHostConntrackMax = 1024

func validateTarget(d *decoder, s *Scenario) {
	var given []string
	for _, k := range []string{TargetURL, TargetLab, TargetKube} {
		if d.has("target." + k) {
			given = append(given, k)
		}
	}
	if len(given) > 1 {
		d.errorf(d.at("target."+given[1]), "target."+given[1], "target has both %s and %s: a scenario has one target, keep one", given[0], given[1])
	}
	if d.has("target.url") {
		if msg := checkURL(s.Target.URL); msg != "" {
			d.errorf(d.valueAt("target.url"), "target.url", "%s", msg)
		}
	}
	if s.Target.URL == "" && s.Target.Lab == nil && s.Target.Kube == nil {
		s.Target.Lab = &Lab{}
		fillDefaults(reflect.ValueOf(s.Target.Lab).Elem())
	}
	if l := s.Target.Lab; l != nil && d.has("target.lab.name") {
		if msg := checkName(l.Name); msg != "" {
			d.errorf(d.valueAt("target.lab.name"), "target.lab.name", "%s", msg)
		}
		for _, f := range []string{"nodes", "proxyMode", "hostConntrackMax", "conntrackTimeouts"} {
			if p := "target.lab." + f; d.has(p) {
				d.errorf(d.at(p), p, "%s cannot be set together with name: an existing lab keeps its own settings; remove one of them", f)
			}
		}
	}
	if l := s.Target.Lab; l != nil && l.HostConntrackMax > 0 && l.HostConntrackMax < minHostConntrackMax {
		d.errorf(d.valueAt("target.lab.hostConntrackMax"), "target.lab.hostConntrackMax", "%d is too small for the host to keep working; use 0 (leave it alone) or at least %d", l.HostConntrackMax, minHostConntrackMax)
	}
	if l := s.Target.Lab; l != nil {
		for _, f := range l.ConntrackTimeouts.Fields() {
			p := "target.lab.conntrackTimeouts." + f.Key
			if !d.has(p) {
				continue
			}
			if msg := checkTimeout(f.Value); msg != "" {
				d.errorf(d.valueAt(p), p, "%s", msg)
			}
		}
	}
	if k := s.Target.Kube; k != nil {
		if d.has("target.kube.namespace") {
			if msg := checkName(k.Namespace); msg != "" {
				d.errorf(d.valueAt("target.kube.namespace"), "target.kube.namespace", "%s", msg)
			}
		}
		if d.has("target.kube.url") {
			if msg := checkURL(k.URL); msg != "" {
				d.errorf(d.valueAt("target.kube.url"), "target.kube.url", "%s", msg)
			}
		}
	}
}

func validateLoad(d *decoder, s *Scenario) {
	l := &s.Load
	hasRate, hasDur, hasPhases := d.has("load.rate"), d.has("load.duration"), d.has("load.phases")
	switch {
	case hasPhases && hasRate:
		d.errorf(d.at("load.phases"), "load.phases", "rate and phases are both given: use rate with duration for a constant load, or phases, not both")
	case hasPhases && hasDur:
		d.errorf(d.at("load.duration"), "load.duration", "duration cannot be combined with phases: each phase has its own duration")
	case hasRate && !hasDur:
		d.errorf(d.at("load.rate"), "load.rate", "rate needs a duration, e.g. duration: 1m")
	case hasDur && !hasRate:
		d.errorf(d.at("load.duration"), "load.duration", "duration needs a rate, e.g. rate: 100/s")
	case !hasRate && !hasPhases:
		d.errorf(d.at("load"), "load", "missing the load's rate: give rate and duration (e.g. rate: 100/s, duration: 1m) or phases")
	}
	if d.valid("load.rate") && l.Rate.Freq == 0 {
		d.errorf(d.valueAt("load.rate"), "load.rate", "rate must be above zero")
	}
	if d.valid("load.duration") && l.Duration == 0 {
		d.errorf(d.valueAt("load.duration"), "load.duration", "duration must be above zero")
	}
	if hasPhases && len(l.Phases) == 0 {
		d.errorf(d.valueAt("load.phases"), "load.phases", "phases is empty: list at least one phase")
	}
	for i := range l.Phases {
		validatePhase(d, &l.Phases[i], fmt.Sprintf("load.phases[%d]", i))
	}
	validateBounds(d, l)
	if hasRate && !hasPhases {
		l.Phases = []Phase{{Duration: l.Duration, Rate: l.Rate, From: l.Rate, To: l.Rate}}
	}

	if l.MaxWorkers != 0 && l.MaxWorkers < l.Workers {
		d.errorf(d.at("load.maxWorkers"), "load.maxWorkers", "maxWorkers %d is below workers %d: raise it to at least %d, or use 0 for the default (%d, or workers when more)", l.MaxWorkers, l.Workers, l.Workers, load.DefaultMaxWorkers)
	}
	if d.valid("load.timeout") && l.Timeout == 0 {
		d.errorf(d.valueAt("load.timeout"), "load.timeout", "timeout must be above zero")
	}
	if l.H2C && l.HTTP2 {
		d.errorf(d.at("load.h2c"), "load.h2c", "h2c and http2 are both true: http2 is HTTP/2 over TLS, h2c is HTTP/2 without TLS; keep one")
	}
	if l.H2C && strings.HasPrefix(strings.ToLower(s.Target.URL), "https:") {
		d.errorf(d.at("load.h2c"), "load.h2c", "h2c is HTTP/2 without TLS but the target URL is https: use http2 instead")
	}
	checkHeaders(d, "load.headers", l.Headers)
	for i, name := range l.SecretHeaders {
		if p := fmt.Sprintf("load.secretHeaders[%d]", i); !isToken(name) {
			d.errorf(d.valueAt(p), p, "%q is not a valid header name", name)
		}
	}
	if l.BackendHeader != "" && !isToken(l.BackendHeader) {
		d.errorf(d.valueAt("load.backendHeader"), "load.backendHeader", "%q is not a valid header name", l.BackendHeader)
	}
	if d.has("load.requests") && len(l.Requests) == 0 {
		d.errorf(d.valueAt("load.requests"), "load.requests", "requests is empty: list requests, or remove the field to send one GET of the target URL")
	}
	names := map[string]string{}
	for i := range l.Requests {
		r := &l.Requests[i]
		path := fmt.Sprintf("load.requests[%d]", i)
		if d.has(path+".method") && (r.Method == "" || !isToken(r.Method)) {
			d.errorf(d.valueAt(path+".method"), path+".method", "%q is not an HTTP method", r.Method)
		} else if r.Method != strings.ToUpper(r.Method) {
			d.errorf(d.valueAt(path+".method"), path+".method", "methods are case-sensitive: write %s", strings.ToUpper(r.Method))
		}
		if d.has(path+".path") && d.has(path+".url") {
			d.errorf(d.at(path+".url"), path+".url", "path and url are both given: path is appended to the target URL, url replaces it; keep one")
		}
		if d.has(path+".path") && !strings.HasPrefix(r.Path, "/") {
			d.errorf(d.valueAt(path+".path"), path+".path", "path %q must start with '/'", r.Path)
		} else if _, err := url.Parse(r.Path); err != nil {
			d.errorf(d.valueAt(path+".path"), path+".path", "path %q: %v", r.Path, unwrapURL(err))
		}
		if d.has(path + ".url") {
			if msg := checkURL(r.URL); msg != "" {
				d.errorf(d.valueAt(path+".url"), path+".url", "%s", msg)
			}
		}
		checkHeaders(d, path+".headers", r.Headers)
		if r.Name == "" {
			target := r.Path
			if r.URL != "" {
				target = r.URL
			}
			if target == "" {
				target = "/"
			}
			r.Name = r.Method + " " + target
		}
		if prev, dup := names[r.Name]; dup {
			d.errorf(d.at(path), path, "request name %q is also used by %s: give each request a distinct name", r.Name, prev)
		}
		names[r.Name] = path
	}
}

func validatePhase(d *decoder, p *Phase, path string) {
	hasRate, hasFrom, hasTo := d.has(path+".rate"), d.has(path+".from"), d.has(path+".to")
	switch {
	case hasRate && (hasFrom || hasTo):
		d.errorf(d.at(path+".rate"), path+".rate", "rate cannot be combined with from/to: use rate for a constant phase, from and to for a ramp")
	case hasFrom && !hasTo:
		d.errorf(d.at(path+".from"), path+".from", "a ramp needs both from and to: add to")
	case hasTo && !hasFrom:
		d.errorf(d.at(path+".to"), path+".to", "a ramp needs both from and to: add from")
	case !hasRate && !hasFrom && !hasTo:
		d.errorf(d.at(path), path, "missing the phase's rate: give rate (constant) or from and to (linear ramp)")
	}
	if d.valid(path+".duration") && p.Duration == 0 {
		d.errorf(d.valueAt(path+".duration"), path+".duration", "duration must be above zero")
	}
	if d.valid(path + ".rate") {
		if p.Rate.Freq == 0 {
			d.errorf(d.valueAt(path+".rate"), path+".rate", "rate must be above zero; to pause, end the load earlier")
		}
		p.From, p.To = p.Rate, p.Rate
	}
	if d.valid(path+".from") && d.valid(path+".to") && p.From.Freq == 0 && p.To.Freq == 0 {
		d.errorf(d.at(path+".from"), path+".from", "a ramp from 0 to 0 sends nothing")
	}
}

// checkHeaders reports header names that are not HTTP tokens.
func checkHeaders(d *decoder, path string, h map[string]string) {
	for name, v := range h {
		p := join(path, name)
		if !isToken(name) {
			d.errorf(d.at(p), p, "%q is not a valid header name", name)
		}
		if strings.ContainsAny(v, "\r\n") {
			d.errorf(d.valueAt(p), p, "header values cannot contain line breaks")
		}
	}
}

// isToken reports whether s is an HTTP token (RFC 9110), as header names
// and methods must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// checkURL returns what is wrong with an http(s) URL, or "".
func checkURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Sprintf("%q is not a URL: %v", s, unwrapURL(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Sprintf("%q must be an http:// or https:// URL", s)
	}
	if u.Host == "" {
		return fmt.Sprintf("%q has no host", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("%q has port %s: ports go from 1 to 65535", s, p)
		}
	}
	return ""
}

func unwrapURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// checkName returns what is wrong with a lowercase DNS-label-like name, or
// "".
func checkName(s string) string {
	const rule = "lowercase letters, digits and '-', at most 63 characters, starting and ending with a letter or digit"
	if s == "" {
		return "empty name: use " + rule
	}
	if len(s) > 63 {
		return fmt.Sprintf("%q is longer than 63 characters", s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0 && i < len(s)-1
		if !ok {
			return fmt.Sprintf("%q is not a valid name: use %s", s, rule)
		}
	}
	return ""
}

// short formats a duration without trailing zero units: 5m rather than
// 5m0s.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// validateMatrix checks that every matrix variable fits the target and the
// setup, and that the combinations stay few.
func validateMatrix(d *decoder, s *Scenario) {
	if !d.has("matrix") {
		return
	}
	if n := s.Matrix.size(); n > maxVariants {
		d.errorf(d.at("matrix"), "matrix", "%d combinations: at most %d runs per matrix; drop values", n, maxVariants)
	}
	for _, v := range s.Matrix {
		path := "matrix." + v.Name
		switch {
		case strings.HasPrefix(v.Name, "target.lab."):
			switch {
			case s.Target.Lab == nil:
				d.errorf(d.at(path), path, "needs a lab target: drill brings up a lab per combination")
			case d.has("target.lab.name"):
				d.errorf(d.at(path), path, "cannot vary a named lab: it keeps its own settings; remove target.lab.name or this variable")
			case d.has(v.Name):
				d.errorf(d.at(path), path, "%s is also set in the target: remove one of them", v.Name)
			}
		case strings.HasPrefix(v.Name, "setup."):
			if len(s.Setup) == 0 {
				d.errorf(d.at(path), path, "changes the setup's objects, but the scenario has no setup")
			}
			if v.Name == VarReadinessGates && s.Target.Lab == nil {
				d.errorf(d.at(path), path, "works on lab targets only: on EKS the AWS Load Balancer Controller injects the gates into pods of namespaces labelled elbv2.k8s.aws/pod-readiness-gate-inject=enabled")
			}
		}
	}
}

// validateImages checks the lab's image archives: every archive must exist.
func validateImages(d *decoder, s *Scenario, files bool) {
	l := s.Target.Lab
	if l == nil || len(l.Images) == 0 {
		return
	}
	for i, p := range l.Images {
		path := fmt.Sprintf("target.lab.images[%d]", i)
		switch {
		case strings.TrimSpace(p) == "":
			d.errorf(d.valueAt(path), path, "empty image archive path")
		case files:
			if _, err := os.Stat(s.resolve(p)); err != nil {
				d.errorf(d.valueAt(path), path, "image archive %s: %v (paths are relative to the scenario file; write one with docker save, crane pull --format oci or skopeo copy)", s.resolve(p), unwrapPath(err))
			}
		}
	}
}

// validateBodyFiles checks each request's bodyFile and, with files, reads
// it into the request's Body.
func validateBodyFiles(d *decoder, s *Scenario, files bool) {
	for i := range s.Load.Requests {
		r := &s.Load.Requests[i]
		path := fmt.Sprintf("load.requests[%d].bodyFile", i)
		switch {
		case !d.has(path):
			continue
		case d.has(fmt.Sprintf("load.requests[%d].body", i)):
			d.errorf(d.at(path), path, "body and bodyFile are both given: keep one")
		case strings.TrimSpace(r.BodyFile) == "":
			d.errorf(d.valueAt(path), path, "empty body file path")
		case files:
			b, err := readBodyFile(s.resolve(r.BodyFile), !d.opts.AllowHuge)
			switch {
			case errors.Is(err, errHugeBody):
				d.huge(d.valueAt(path), path, "body file %s is larger than %d MiB", s.resolve(r.BodyFile), MaxBodyFile>>20)
			case err != nil:
				d.errorf(d.valueAt(path), path, "body file %s: %v (paths are relative to the scenario file)", s.resolve(r.BodyFile), unwrapPath(err))
			default:
				r.Body = string(b)
			}
		}
	}
}

var errHugeBody = errors.New("body file beyond the bound")

// readBodyFile reads the file at path, or, when bounded, fails with
// errHugeBody once it has read more than MaxBodyFile bytes.
func readBodyFile(path string, bounded bool) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, errors.New("is a directory")
	}
	if !bounded {
		return io.ReadAll(f)
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxBodyFile+1))
	if err == nil && len(b) > MaxBodyFile {
		err = errHugeBody
	}
	return b, err
}
