package inject

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/drillkit/drill/pkg/elbv2"
)

// JournalFile is the name of the journal in a run directory.
const JournalFile = "journal.json"

// Phases of a journaled fault.
const (
	PhaseApplying  = "applying"
	PhaseApplied   = "applied"
	PhaseRecovered = "recovered"
	PhaseFailed    = "recover-failed"
)

// Journal records on disk every fault a run applies, with what is needed to
// undo it, so that `drill recover` can finish the job after drill was killed.
// Every change is written through at once (atomically).
type Journal struct {
	path string
	mu   sync.Mutex
	Access
	Entries []Entry `json:"entries"`
}

// Access says how `drill recover` reaches what a run's faults changed.
type Access struct {
	// Kubeconfig, Context and Namespace say how to reach the cluster.
	Kubeconfig string `json:"kubeconfig"`
	Context    string `json:"context,omitempty"`
	Namespace  string `json:"namespace"`
	// LoadBalancerAPI is the ELBv2 API the run used, if any.
	LoadBalancerAPI *LoadBalancerAPI `json:"loadBalancerAPI,omitempty"`
}

// LoadBalancerAPI says how to reach the ELBv2 API of a run.
type LoadBalancerAPI struct {
	elbv2.Options
	// Lab is set when the API was the lab ALB's, served by the drill process
	// that wrote the journal: the lab ALB, and every change made through it,
	// ends with that process.
	Lab bool `json:"lab,omitempty"`
}

// Entry is one fault in the journal.
type Entry struct {
	Action string          `json:"action"`
	Name   string          `json:"name"`
	Phase  string          `json:"phase"`
	Error  string          `json:"error,omitempty"`
	Fault  json.RawMessage `json:"fault"`
}

// NewJournal starts an empty journal at path.
func NewJournal(path string, a Access) (*Journal, error) {
	j := &Journal{path: path, Access: a}
	return j, j.save()
}

// Record writes fault's current state under entry i in phase; i < 0 adds a
// new entry and returns its index.
func (j *Journal) Record(i int, f Fault, phase string, ferr error) (int, error) {
	if j == nil {
		return i, nil
	}
	data, err := json.Marshal(f)
	if err != nil {
		return i, fmt.Errorf("journal %s: %w", f.Name(), err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	e := Entry{Action: ActionOf(f).Name, Name: f.Name(), Phase: phase, Fault: data}
	if ferr != nil {
		e.Error = ferr.Error()
	}
	if i < 0 {
		j.Entries = append(j.Entries, e)
		i = len(j.Entries) - 1
	} else {
		j.Entries[i] = e
	}
	return i, j.saveLocked()
}

// Path is where the journal is written.
func (j *Journal) Path() string { return j.path }

// Pending returns the faults not recovered yet, with their entry indexes,
// last applied first.
func (j *Journal) Pending() ([]int, []Fault, error) {
	var idx []int
	var faults []Fault
	for i := len(j.Entries) - 1; i >= 0; i-- {
		e := j.Entries[i]
		if e.Phase == PhaseRecovered {
			continue
		}
		f, err := newFault(e.Action)
		if err != nil {
			return nil, nil, fmt.Errorf("journal entry %d: %w", i+1, err)
		}
		if err := json.Unmarshal(e.Fault, f); err != nil {
			return nil, nil, fmt.Errorf("journal entry %d (%s): %w", i+1, e.Name, err)
		}
		idx, faults = append(idx, i), append(faults, f)
	}
	return idx, faults, nil
}

// LoadJournal reads a journal; path is the file or the run directory.
func LoadJournal(path string) (*Journal, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, JournalFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no journal at %s: a run writes %s into its directory when it applies a fault", path, JournalFile)
		}
		return nil, err
	}
	j := &Journal{path: path}
	if err := json.Unmarshal(data, j); err != nil {
		return nil, fmt.Errorf("journal %s: %w", path, err)
	}
	return j, nil
}

func (j *Journal) save() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.saveLocked()
}

func (j *Journal) saveLocked() error {
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	tmp := j.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	if err := os.Rename(tmp, j.path); err != nil {
		return fmt.Errorf("write journal: %w", err)
	}
	return nil
}
