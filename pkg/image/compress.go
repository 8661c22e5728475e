package image

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Compressed is img with gzip-compressed layers, for a registry (the lab
// keeps them uncompressed: its nodes import them from the same disk). The
// configuration, and so the layers' diff IDs, and the manifest's
// annotations are img's.
func Compressed(img v1.Image) (v1.Image, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	gz := make([]v1.Layer, len(layers))
	for i, l := range layers {
		if gz[i], err = tarball.LayerFromOpener(l.Uncompressed, tarball.WithMediaType(types.OCILayer)); err != nil {
			return nil, fmt.Errorf("compress layer %d: %w", i, err)
		}
	}
	out := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	out = mutate.ConfigMediaType(out, types.OCIConfigJSON)
	if out, err = mutate.AppendLayers(out, gz...); err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	if out, err = mutate.ConfigFile(out, cf); err != nil {
		return nil, err
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	if len(m.Annotations) > 0 {
		out = mutate.Annotations(out, m.Annotations).(v1.Image)
	}
	return out, nil
}
