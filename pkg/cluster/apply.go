package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/dynamic"
)

// Object names one object drill applied.
type Object struct {
	Resource  schema.GroupVersionResource
	Kind      string
	Namespace string
	Name      string
}

func (o Object) String() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// ReadManifests decodes every document of every file (YAML or JSON, several
// documents per file), reporting the file and document of each problem.
func ReadManifests(files []string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	var errs []error
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("setup manifest: %w", err))
			continue
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for i := 1; ; i++ {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				if !errors.Is(err, io.EOF) {
					errs = append(errs, fmt.Errorf("%s: document %d: %w", f, i, err))
				}
				break
			}
			if len(m) == 0 {
				continue
			}
			u := &unstructured.Unstructured{Object: m}
			if u.GetKind() == "" || u.GetAPIVersion() == "" || u.GetName() == "" {
				errs = append(errs, fmt.Errorf("%s: document %d: apiVersion, kind and metadata.name are required", f, i))
				continue
			}
			out = append(out, u)
		}
	}
	return out, errors.Join(errs...)
}

// Apply creates or updates objs with server-side apply, putting namespaced
// objects without a namespace into namespace. It returns what it applied, in
// order, also when it fails part way, so that the caller can delete it.
func (c *Cluster) Apply(ctx context.Context, namespace string, objs []*unstructured.Unstructured) ([]Object, error) {
	var applied []Object
	for _, u := range objs {
		ri, obj, err := c.resource(u, namespace)
		if err != nil {
			return applied, err
		}
		data, err := json.Marshal(u.Object)
		if err != nil {
			return applied, err
		}
		force := true
		if _, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: &force}); err != nil {
			return applied, fmt.Errorf("apply %s: %w", obj, err)
		}
		applied = append(applied, obj)
	}
	return applied, nil
}

// Delete deletes objs in reverse order and waits until they are gone; ctx
// bounds the wait. Objects already gone are fine. When ctx ends first, the
// error names what is left and the finalizers holding it.
func (c *Cluster) Delete(ctx context.Context, objs []Object) error {
	var errs []error
	policy := metav1.DeletePropagationForeground
	for i := len(objs) - 1; i >= 0; i-- {
		o := objs[i]
		err := c.client(o).Delete(ctx, o.Name, metav1.DeleteOptions{PropagationPolicy: &policy})
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("delete %s: %w", o, err))
		}
	}
	if err := c.waitGone(ctx, objs); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (c *Cluster) resource(u *unstructured.Unstructured, namespace string) (dynamic.ResourceInterface, Object, error) {
	gvk := u.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, Object{}, fmt.Errorf("%s %s: the cluster does not serve this kind: %w", gvk.Kind, u.GetName(), err)
	}
	obj := Object{Resource: m.Resource, Kind: gvk.Kind, Name: u.GetName()}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if u.GetNamespace() == "" {
			u.SetNamespace(namespace)
		}
		obj.Namespace = u.GetNamespace()
	}
	return c.client(obj), obj, nil
}

func (c *Cluster) client(o Object) dynamic.ResourceInterface {
	if o.Namespace == "" {
		return c.Dynamic.Resource(o.Resource)
	}
	return c.Dynamic.Resource(o.Resource).Namespace(o.Namespace)
}
