//go:build lab

package cluster_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/drillkit/drill/pkg/cluster"
	"github.com/drillkit/drill/pkg/lab"
	"github.com/drillkit/drill/pkg/lab/labtest"
)

// TestWaitsEndAgainstRealCluster checks against the lab's real API server
// and controllers that drill's waits end: a rollout the Deployment
// controller gives up on ends WaitReady with the Deployment's own
// condition message, and deleting an object a finalizer holds ends with
// the bound, naming the object and its finalizer.
func TestWaitsEndAgainstRealCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	l := labtest.Up(ctx, t, lab.Config{Name: "clwait", Nodes: 1})
	cl := labtest.Cluster(t, l)
	apply := func(t *testing.T, file string) []cluster.Object {
		t.Helper()
		objs, err := cluster.ReadManifests([]string{file})
		if err != nil {
			t.Fatal(err)
		}
		applied, err := cl.Apply(ctx, "default", objs)
		if err != nil {
			t.Fatal(err)
		}
		return applied
	}

	t.Run("stalled rollout", func(t *testing.T) {
		applied := apply(t, "testdata/stalled.yaml")
		defer func() {
			if err := cl.Delete(ctx, applied); err != nil {
				t.Error(err)
			}
		}()
		// The bound is far beyond the 2 s progress deadline: the wait
		// ends because the rollout stalled, not because it ran out.
		wctx, cancel := context.WithTimeoutCause(ctx, 5*time.Minute, errors.New("the test's bound ran out"))
		defer cancel()
		err := cl.WaitReady(wctx, applied)
		if !errors.Is(err, cluster.ErrStalled) {
			t.Fatalf("WaitReady = %v, want %v", err, cluster.ErrStalled)
		}
		d, gerr := cl.Client.AppsV1().Deployments("default").Get(ctx, "stall", metav1.GetOptions{})
		if gerr != nil {
			t.Fatal(gerr)
		}
		var cond *appsv1.DeploymentCondition
		for i, c := range d.Status.Conditions {
			if c.Type == appsv1.DeploymentProgressing {
				cond = &d.Status.Conditions[i]
			}
		}
		if cond == nil || cond.Status != corev1.ConditionFalse || cond.Reason != "ProgressDeadlineExceeded" {
			t.Fatalf("the Deployment's Progressing condition is %+v, want False with ProgressDeadlineExceeded", cond)
		}
		if !strings.Contains(err.Error(), cond.Message) || !strings.HasPrefix(err.Error(), "deployment default/stall did not roll out (") {
			t.Errorf("WaitReady = %q, want the Deployment named with its condition's message %q", err, cond.Message)
		}
	})

	t.Run("finalizer", func(t *testing.T) {
		applied := apply(t, "testdata/held.yaml")
		release := func() {
			patch := []byte(`{"metadata":{"finalizers":null}}`)
			if _, err := cl.Client.CoreV1().ConfigMaps("default").Patch(ctx, "held", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("remove the finalizer: %v", err)
			}
		}
		defer release()
		dctx, cancel := context.WithTimeoutCause(ctx, 3*time.Second, errors.New("the test's bound ran out"))
		defer cancel()
		err := cl.Delete(dctx, applied)
		// The garbage collector's foregroundDeletion may still be listed
		// after the test's own finalizer.
		if err == nil || !strings.HasPrefix(err.Error(), "ConfigMap default/held still exists, held by finalizers drill.dev/test-hold") ||
			!strings.HasSuffix(err.Error(), ": the test's bound ran out") {
			t.Fatalf("Delete = %v, want the ConfigMap named with its finalizer and the bound that ran out", err)
		}
		cm, gerr := cl.Client.CoreV1().ConfigMaps("default").Get(ctx, "held", metav1.GetOptions{})
		if gerr != nil || cm.DeletionTimestamp == nil {
			t.Fatalf("the ConfigMap is %v (%v), want it deleted and held", cm, gerr)
		}
		// Once the finalizer is gone, the same deletion completes.
		release()
		if err := cl.Delete(ctx, applied); err != nil {
			t.Errorf("Delete after the finalizer was removed = %v", err)
		}
		if _, err := cl.Client.CoreV1().ConfigMaps("default").Get(ctx, "held", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("the ConfigMap is still there: %v", err)
		}
	})
}
