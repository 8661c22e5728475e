package cause

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"
)

// BalancerFile is the run directory's file of load balancer failures.
const BalancerFile = "loadbalancer-failures.jsonl"

// Outcomes of the lab load balancer's request log that the analysis reads
// (pkg/alb/dataplane records them; a test in pkg/lab/labtarget keeps the two
// in step).
const (
	OutcomeOK                = "ok"
	OutcomeNoTargets         = "no_registered_targets"
	OutcomeConnectRefused    = "target_connection_refused"
	OutcomeConnectError      = "target_connection_error"
	OutcomeConnectTimeout    = "target_connect_timeout"
	OutcomeTargetClosed      = "target_closed_connection"
	OutcomeResponseTimeout   = "target_response_timeout"
	OutcomeBodyError         = "target_body_error"
	OutcomeDeregistrationCut = "deregistration_delay_expired"
	OutcomeClientClosed      = "client_closed"
)

// Target states of the load balancer (ELBv2 TargetHealth states).
const (
	StateInitial   = "initial"
	StateHealthy   = "healthy"
	StateUnhealthy = "unhealthy"
	StateDraining  = "draining"
	StateUnused    = "unused"
)

// BalancerFailure is one request that failed at the load balancer, or
// that a target answered with a 5xx, as its request log recorded it.
type BalancerFailure struct {
	Time time.Time `json:"time"`
	// Target is the target's key (id:port): a pod's address for ip
	// targets, a node's name for instance targets; empty when the load
	// balancer had no target to send to.
	Target string `json:"target,omitempty"`
	// TargetState is the target's state when it was chosen.
	TargetState string `json:"targetState,omitempty"`
	// Status is what the client got, TargetStatus what the target
	// answered (0 if it did not).
	Status       int    `json:"status"`
	TargetStatus int    `json:"targetStatus,omitempty"`
	Outcome      string `json:"outcome"`
	// Reused is set when the request went on a kept-alive connection.
	Reused bool `json:"reused,omitempty"`
}

// MaxBalancerFailures bounds the failures a run keeps for the analysis.
const MaxBalancerFailures = 1 << 20

// WriteBalancer writes failures as JSON lines.
func WriteBalancer(w io.Writer, failures []BalancerFailure) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, f := range failures {
		if err := enc.Encode(f); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ReadBalancer reads what WriteBalancer wrote.
func ReadBalancer(r io.Reader) ([]BalancerFailure, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var out []BalancerFailure
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var f BalancerFailure
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			return out, fmt.Errorf("%s line %d: %w", BalancerFile, line, err)
		}
		out = append(out, f)
	}
	return out, sc.Err()
}

// balancerLog matches results with the load balancer's records of them:
// each record serves one result, the nearest in time of those with the
// status the client got.
type balancerLog struct {
	recs []BalancerFailure // by time
	used []bool
}

func newBalancerLog(recs []BalancerFailure) *balancerLog {
	recs = append([]BalancerFailure(nil), recs...)
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Time.Before(recs[j].Time) })
	return &balancerLog{recs: recs, used: make([]bool, len(recs))}
}

// matchSlack is how far before a result's start, or after its end, the
// load balancer's record of it may be (clocks of one machine; the record's
// time is when the load balancer received the request).
const matchSlack = 200 * time.Millisecond

// match takes the record of a result sent at start that lasted lat with
// status code (0: no response, any status matches).
func (l *balancerLog) match(start time.Time, lat time.Duration, code uint16) *BalancerFailure {
	from, to := start.Add(-matchSlack), start.Add(lat+matchSlack)
	i := sort.Search(len(l.recs), func(i int) bool { return !l.recs[i].Time.Before(from) })
	best := -1
	for ; i < len(l.recs) && !l.recs[i].Time.After(to); i++ {
		if l.used[i] || (code != 0 && l.recs[i].Status != int(code)) {
			continue
		}
		if best < 0 || absDur(l.recs[i].Time.Sub(start)) < absDur(l.recs[best].Time.Sub(start)) {
			best = i
		}
		if l.recs[i].Time.After(start) {
			break // later ones are further away
		}
	}
	if best < 0 {
		return nil
	}
	l.used[best] = true
	return &l.recs[best]
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
