package render

import (
	"reflect"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/report"
)

func ev(sec float64, kind report.EventKind, source, msg string) report.Event {
	return report.Event{T: time.Duration(sec * float64(time.Second)), Kind: kind, Source: source, Message: msg}
}

// Pods and targets are followed from the pod watch's and the target health
// sampler's own messages.
func TestLanesFromEvents(t *testing.T) {
	events := []report.Event{
		ev(10, report.EventPod, "web-new", "pod web-new created on lab-node-1"),
		ev(12, report.EventPod, "web-new", "pod web-new ready on lab-node-1"),
		ev(13, report.EventPod, "web-old", "pod web-old terminating on lab-node-2"),
		ev(13.5, report.EventPod, "web-old", "pod web-old not-ready on lab-node-2"),
		ev(20, report.EventPod, "web-old", "pod web-old deleted on lab-node-2"),
		ev(0, report.EventTarget, "198.18.0.9:80", "target 198.18.0.9:80 in tg-web: none → healthy"),
		ev(14, report.EventTarget, "198.18.0.9:80", "target 198.18.0.9:80 in tg-web: healthy → draining (Target.DeregistrationInProgress)"),
		ev(24, report.EventTarget, "198.18.0.9:80", "target 198.18.0.9:80 in tg-web: draining → none"),
		ev(12.5, report.EventTarget, "198.18.0.7:80", "target 198.18.0.7:80 in tg-web: none → initial (Elb.RegistrationInProgress)"),
		ev(16, report.EventTarget, "198.18.0.7:80", "target 198.18.0.7:80 in tg-web: initial → healthy"),
	}
	pods := podLanes(sortedEvents(events), 30)
	want := []chartLane{
		{Name: "web-old", Segments: []chartSegment{{0, 13, podReady}, {13, 20, podTerminating}}, Gone: num(20)},
		{Name: "web-new", Segments: []chartSegment{{10, 12, podCreated}, {12, 30, podReady}}},
	}
	if !reflect.DeepEqual(pods, want) {
		t.Errorf("pod lanes\n got %+v\nwant %+v", pods, want)
	}
	targets := targetLanes(sortedEvents(events), 30)
	wantT := []chartLane{
		{Name: "198.18.0.9:80", Segments: []chartSegment{{0, 14, "healthy"}, {14, 24, "draining"}}, Gone: num(24)},
		{Name: "198.18.0.7:80", Segments: []chartSegment{{12.5, 16, "initial"}, {16, 30, "healthy"}}},
	}
	if !reflect.DeepEqual(targets, wantT) {
		t.Errorf("target lanes\n got %+v\nwant %+v", targets, wantT)
	}
}

// Failures are split by failing status code when the codes account for
// the http class, and by transport error class.
func TestFailureSeriesByClass(t *testing.T) {
	secs := []report.Second{
		{T: 0, Requests: 10, Successes: 6, Codes: map[string]uint64{"200": 6, "502": 2, "504": 1, "0": 1}, Errors: map[string]uint64{"http": 3, "refused": 1}},
		{T: 1, Requests: 10, Successes: 10, Codes: map[string]uint64{"200": 10}},
	}
	got := failureSeries(secs)
	labels := []string{}
	for _, s := range got {
		labels = append(labels, s.Label)
	}
	if !reflect.DeepEqual(labels, []string{"HTTP 502", "HTTP 504", "refused"}) || *got[0].Values[0] != 2 || *got[2].Values[0] != 1 || *got[0].Values[1] != 0 {
		t.Errorf("failure series %v: %+v", labels, got)
	}
	// A scenario that counts 404 as success: the codes no longer add up to
	// the http class, which stays whole.
	secs[0].Codes["404"] = 3
	secs[0].Successes = 3
	got = failureSeries(secs)
	if len(got) != 2 || got[0].Label != "HTTP error" || *got[0].Values[0] != 3 {
		t.Errorf("failure series with own success codes: %+v", got)
	}
}
