// Package image builds drill's container images from local files with
// go-containerregistry, without a container engine: drill's own image (the
// static drill binary, a static busybox and the datapath tools the node
// agent runs) and the pod sandbox ("pause") image, which is the busybox
// layer alone. The lab builds both at lab up; tools/drill-image builds
// drill's image for a registry.
package image

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// DrillEntrypoint is where drill is in its image, and the image's entrypoint.
const DrillEntrypoint = "/usr/local/bin/drill"

// busyboxApplets are the busybox commands linked into the images' /bin.
var busyboxApplets = []string{
	"sh", "sleep", "cat", "echo", "ls", "ps", "kill", "env", "true", "false",
	"nc", "tar", "date", "mkdir", "rm", "grep", "head", "tail", "hostname", "id", "wc",
}

// imageEnv is the environment of both images.
var imageEnv = []string{"PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}

// Files are the local files drill's images are built from.
type Files struct {
	// Drill is a static drill binary.
	Drill string
	// Busybox is a static busybox.
	Busybox string
	// Tools are host files put into drill's image as they are on the host,
	// with what they load (DatapathTools finds the node agent's); none
	// leaves them out.
	Tools []string
}

// Check fails unless Drill and Busybox are static executables, as a
// scratch image needs, naming each that is not.
func (f Files) Check() error {
	return errors.Join(
		RequireStatic(f.Drill, "drill", "build it with CGO_ENABLED=0 (make build does)"),
		RequireStatic(f.Busybox, "busybox", "install busybox-static (apt-get install busybox-static)"),
	)
}

// Images are drill's image and the pause image, built for this machine's
// architecture; they share the busybox layer.
type Images struct {
	Drill, Pause v1.Image
}

// Build builds both images from f, with labels in drill's image
// configuration and, when not empty, annotations on its manifest. It does
// not check f (Check does).
func Build(f Files, labels, annotations map[string]string) (Images, error) {
	bbLayer, err := fileLayer(layerFile{"bin/busybox", f.Busybox}, busyboxApplets...)
	if err != nil {
		return Images{}, err
	}
	drillLayer, err := fileLayer(layerFile{DrillEntrypoint[1:], f.Drill})
	if err != nil {
		return Images{}, err
	}
	drillLayers := []v1.Layer{bbLayer, drillLayer}
	if len(f.Tools) > 0 {
		toolsLayer, err := hostFilesLayer(f.Tools)
		if err != nil {
			return Images{}, fmt.Errorf("drill image datapath tools: %w", err)
		}
		drillLayers = append(drillLayers, toolsLayer)
	}
	pause, err := ociImage(v1.Config{Entrypoint: []string{"/bin/sleep", "2147483647"}, Env: imageEnv}, bbLayer)
	if err != nil {
		return Images{}, fmt.Errorf("pause image: %w", err)
	}
	cfg := v1.Config{Entrypoint: []string{DrillEntrypoint}, Cmd: []string{"help"}, Env: imageEnv, Labels: labels}
	drill, err := ociImage(cfg, drillLayers...)
	if err != nil {
		return Images{}, fmt.Errorf("drill image: %w", err)
	}
	if len(annotations) > 0 {
		drill = mutate.Annotations(drill, annotations).(v1.Image)
	}
	return Images{Drill: drill, Pause: pause}, nil
}

// BusyboxImage is an image of the static busybox alone (the pause image's
// layer) with cfg, for this machine's architecture.
func BusyboxImage(busybox string, cfg v1.Config) (v1.Image, error) {
	layer, err := fileLayer(layerFile{"bin/busybox", busybox}, busyboxApplets...)
	if err != nil {
		return nil, err
	}
	return ociImage(cfg, layer)
}

// Entry is an image in a layout with the annotations of its descriptor
// there (Named gives the ones that name it).
type Entry struct {
	Image       v1.Image
	Annotations map[string]string
}

// Named is img in a layout under ref (a full image reference), as
// containerd imports it and the lab registry serves it.
func Named(ref string, img v1.Image) Entry {
	return Entry{Image: img, Annotations: map[string]string{
		// containerd names an imported image by this annotation.
		"io.containerd.image.name":          ref,
		"org.opencontainers.image.ref.name": ref,
	}}
}

// WriteLayout replaces dir with an OCI image layout holding entries, each
// for linux on this machine's architecture.
func WriteLayout(dir string, entries ...Entry) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("write OCI layout: %w", err)
	}
	plat := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	for _, e := range entries {
		if err := lp.AppendImage(e.Image, layout.WithAnnotations(e.Annotations), layout.WithPlatform(plat)); err != nil {
			return fmt.Errorf("write image %s: %w", e.Annotations["org.opencontainers.image.ref.name"], err)
		}
	}
	return nil
}

// RequireStatic fails unless path is a statically linked ELF executable
// (no program interpreter), as a scratch image needs; fix says what to do.
func RequireStatic(path, what, fix string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("%s %s is not an ELF executable (%v): %s", what, path, err, fix)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s %s is dynamically linked and cannot run in a scratch image: %s", what, path, fix)
		}
	}
	return nil
}

// layerFile is a host file put into a layer at Path.
type layerFile struct{ Path, Src string }

// fileLayer makes an uncompressed layer holding file and, in its directory,
// symbolic links to it under each of the names in links.
func fileLayer(file layerFile, links ...string) (v1.Layer, error) {
	b, err := os.ReadFile(file.Src)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file.Src, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	// A fixed time keeps the layer's digest a function of the file alone.
	mtime := time.Unix(0, 0)
	dirs := []string{}
	for d := filepath.Dir(file.Path); d != "."; d = filepath.Dir(d) {
		dirs = append([]string{d}, dirs...)
	}
	for _, d := range dirs {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: mtime}); err != nil {
			return nil, err
		}
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: file.Path, Mode: 0o755, Size: int64(len(b)), ModTime: mtime}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(b); err != nil {
		return nil, err
	}
	for _, l := range links {
		h := &tar.Header{Typeflag: tar.TypeSymlink, Name: filepath.Join(filepath.Dir(file.Path), l), Linkname: filepath.Base(file.Path), Mode: 0o777, ModTime: mtime}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return static.NewLayer(buf.Bytes(), types.OCIUncompressedLayer), nil
}

// ociImage builds a linux image of this machine's architecture from layers.
func ociImage(cfg v1.Config, layers ...v1.Layer) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.AppendLayers(img, layers...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Config = cfg
	return mutate.ConfigFile(img, cf)
}

// WriteArchive writes the files under dir (an OCI image layout) into a tar
// archive at path: an OCI archive, as skopeo's oci-archive: reads it.
func WriteArchive(dir, path string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(out)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if cerr := tw.Close(); err == nil {
		err = cerr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write image archive %s: %w", path, err)
	}
	return nil
}
