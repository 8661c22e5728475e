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
	byStatus map[int]*records
}

// records are the records of one status, by time; next[i] is the first
// unused record at or after i (a union-find with path halving), so that
// used ones are skipped at once.
type records struct {
	recs []BalancerFailure
	next []int
}

func newBalancerLog(recs []BalancerFailure) *balancerLog {
	l := &balancerLog{byStatus: map[int]*records{}}
	for _, r := range recs {
		rs := l.byStatus[r.Status]
		if rs == nil {
			rs = &records{}
			l.byStatus[r.Status] = rs
		}
		rs.recs = append(rs.recs, r)
	}
	for _, rs := range l.byStatus {
		sort.SliceStable(rs.recs, func(i, j int) bool { return rs.recs[i].Time.Before(rs.recs[j].Time) })
		rs.next = make([]int, len(rs.recs)+1)
		for i := range rs.next {
			rs.next[i] = i
		}
	}
	return l
}

// unused is the first unused record at or after i (len(recs) if none).
func (rs *records) unused(i int) int {
	for rs.next[i] != i {
		rs.next[i] = rs.next[rs.next[i]]
		i = rs.next[i]
	}
	return i
}

// nearest is the unused record nearest to start within from..to, or -1.
func (rs *records) nearest(start, from, to time.Time) int {
	i := rs.unused(sort.Search(len(rs.recs), func(i int) bool { return !rs.recs[i].Time.Before(from) }))
	best := -1
	for ; i < len(rs.recs) && !rs.recs[i].Time.After(to); i = rs.unused(i + 1) {
		if best < 0 || absDur(rs.recs[i].Time.Sub(start)) < absDur(rs.recs[best].Time.Sub(start)) {
			best = i
		}
		if rs.recs[i].Time.After(start) {
			break // later ones are further away
		}
	}
	return best
}

// matchSlack is how far before a result's start, or after its end, the
// load balancer's record of it may be (clocks of one machine; the record's
// time is when the load balancer received the request).
const matchSlack = 200 * time.Millisecond

// match takes the record of a result sent at start that lasted lat with
// status code (0: no response, any status matches).
func (l *balancerLog) match(start time.Time, lat time.Duration, code uint16) *BalancerFailure {
	from, to := start.Add(-matchSlack), start.Add(lat+matchSlack)
	var best *records
	bi := -1
	consider := func(rs *records) {
		if rs == nil {
			return
		}
		if i := rs.nearest(start, from, to); i >= 0 && (bi < 0 || absDur(rs.recs[i].Time.Sub(start)) < absDur(best.recs[bi].Time.Sub(start))) {
			best, bi = rs, i
		}
	}
	if code != 0 {
		consider(l.byStatus[int(code)])
	} else {
		for _, rs := range l.byStatus {
			consider(rs)
		}
	}
	if bi < 0 {
		return nil
	}
	best.next[bi] = bi + 1
	return &best.recs[bi]
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
