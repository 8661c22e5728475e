package inject

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OptInLabel and OptInValue are the namespace label that lets faults act in
// a namespace: kubectl label namespace NAME drill.dev/faults=allowed.
const (
	OptInLabel = "drill.dev/faults"
	OptInValue = "allowed"
)

// NotOptedInError says a fault was refused because its namespace does not
// carry the opt-in label.
type NotOptedInError struct {
	Namespace string
	Fault     string
}

func (e *NotOptedInError) Error() string {
	return fmt.Sprintf("%s refused: namespace %q does not allow faults; opt it in with `kubectl label namespace %s %s=%s`, or run drill with --allow-any-namespace",
		e.Fault, e.Namespace, e.Namespace, OptInLabel, OptInValue)
}

// Allowed checks that faults may act in namespace: it carries the opt-in
// label, or env overrides the check. In a dry run a refusal is noted instead
// of returned, so that the rest of the run is still shown.
func (e *Env) Allowed(ctx context.Context, f Fault, namespace string) error {
	if e.AllowAnyNamespace {
		return nil
	}
	e.read("GET namespaces/%s (the %s=%s label)", namespace, OptInLabel, OptInValue)
	ns, err := e.Cluster.Client.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	var refused error
	switch {
	case apierrors.IsNotFound(err):
		refused = fmt.Errorf("%s: namespace %q does not exist", f.Name(), namespace)
	case err != nil:
		return fmt.Errorf("%s: check namespace %s: %w", f.Name(), namespace, err)
	case ns.Labels[OptInLabel] != OptInValue:
		refused = &NotOptedInError{Namespace: namespace, Fault: f.Name()}
	}
	if refused != nil && e.DryRun {
		e.note("dry-run", "a real run would stop here: %v", refused)
		return nil
	}
	return refused
}

// would notes, in a dry run, a change a real run would make; the caller
// then skips it.
func (e *Env) would(format string, args ...any) {
	if e.DryRun {
		e.note("dry-run", "would "+format, args...)
	}
}

// read notes, in a dry run, a read a dry run does make.
func (e *Env) read(format string, args ...any) {
	if e.DryRun {
		e.note("dry-run", format, args...)
	}
}
