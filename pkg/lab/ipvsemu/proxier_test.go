package ipvsemu

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestServicePorts(t *testing.T) {
	ready := true
	port := int32(8080)
	name := "http"
	svcs := []*corev1.Service{
		{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "echo"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ClusterIP: "198.19.128.10",
				Ports: []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, NodePort: 30080, TargetPort: intstr.FromInt32(8080)}}},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "headless"},
			Spec:       corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Ports: []corev1.ServicePort{{Port: 80}}},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "ext"},
			Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "example.invalid"},
		},
	}
	slices := []*discoveryv1.EndpointSlice{
		{
			ObjectMeta:  metav1.ObjectMeta{Namespace: "default", Name: "echo-a", Labels: map[string]string{discoveryv1.LabelServiceName: "echo"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &port}},
			Endpoints: []discoveryv1.Endpoint{
				{Addresses: []string{"198.19.2.2"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}},
				{Addresses: []string{"198.19.1.2"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}},
			},
		},
		{
			ObjectMeta:  metav1.ObjectMeta{Namespace: "other", Name: "echo-b", Labels: map[string]string{discoveryv1.LabelServiceName: "echo"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: &name, Port: &port}},
			Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"198.19.3.9"}}},
		},
	}
	got, err := servicePorts(
		func(labels.Selector) ([]*corev1.Service, error) { return svcs, nil },
		func(labels.Selector) ([]*discoveryv1.EndpointSlice, error) { return slices, nil },
	)
	if err != nil {
		t.Fatal(err)
	}
	want := []ServicePort{{
		Name: "default/echo:http", Protocol: "tcp", ClusterIP: "198.19.128.10", Port: 80, NodePort: 30080,
		Backends: []Backend{{"198.19.1.2", 8080}, {"198.19.2.2", 8080}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("servicePorts =\n%+v\nwant\n%+v", got, want)
	}
}
