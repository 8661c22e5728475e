package cluster

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestStalled(t *testing.T) {
	cond := func(status corev1.ConditionStatus, reason string) appsv1.DeploymentCondition {
		return appsv1.DeploymentCondition{Type: appsv1.DeploymentProgressing, Status: status, Reason: reason, Message: `ReplicaSet "web-1" has timed out progressing.`}
	}
	for _, tt := range []struct {
		name       string
		gen, seen  int64
		conditions []appsv1.DeploymentCondition
		stalled    bool
	}{
		{"progressing", 1, 1, []appsv1.DeploymentCondition{cond(corev1.ConditionTrue, "ReplicaSetUpdated")}, false},
		{"deadline exceeded", 2, 2, []appsv1.DeploymentCondition{cond(corev1.ConditionFalse, "ProgressDeadlineExceeded")}, true},
		{"exceeded for an older spec", 3, 2, []appsv1.DeploymentCondition{cond(corev1.ConditionFalse, "ProgressDeadlineExceeded")}, false},
		{"no conditions", 1, 1, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Generation: tt.gen},
				Status: appsv1.DeploymentStatus{ObservedGeneration: tt.seen, Conditions: tt.conditions}}
			msg, stalled := Stalled(d)
			if stalled != tt.stalled || stalled && msg != `ReplicaSet "web-1" has timed out progressing.` {
				t.Errorf("Stalled = %q, %v; want stalled %v with the condition's message", msg, stalled, tt.stalled)
			}
		})
	}
}
