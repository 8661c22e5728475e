package lab

import (
	"archive/tar"
	"bytes"
	"debug/elf"
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

// Images every node holds, built from local files at
// lab up: drill's own image (the static drill binary and a static busybox)
// and the pod sandbox ("pause") image, which is the busybox layer alone.
// The two share that layer. They are imported into every node and served
// by the lab registry.
const (
	// DrillImage is drill's image on the lab's kubelet nodes; its tag is not
	// latest, so the kubelet's default pull policy (IfNotPresent) uses the
	// imported image.
	DrillImage = "ghcr.io/drillkit/drill:lab"
	// DrillLatestImage is the same image under the name scenarios and the
	// agent manifest use; the kubelet pulls it (policy Always) from the lab
	// registry.
	DrillLatestImage = "ghcr.io/drillkit/drill:latest"
	// PauseImage is the pod sandbox image of the lab's kubelet nodes.
	PauseImage = "ghcr.io/drillkit/pause:lab"
)

// busyboxApplets are the busybox commands linked into the images' /bin.
var busyboxApplets = []string{
	"sh", "sleep", "cat", "echo", "ls", "ps", "kill", "env", "true", "false",
	"nc", "tar", "date", "mkdir", "rm", "grep", "head", "tail", "hostname", "id", "wc",
}

// writeImageArchive writes an OCI image layout into dir and an OCI archive
// (a tar of it) at archive, holding DrillImage, DrillLatestImage and
// PauseImage for this machine's architecture.
func writeImageArchive(dir, archive, drillBinary, busybox string) error {
	if err := requireStatic(drillBinary, "drill", "build it with CGO_ENABLED=0 (make build does)"); err != nil {
		return err
	}
	if err := requireStatic(busybox, "busybox", "install busybox-static (apt-get install busybox-static)"); err != nil {
		return err
	}
	tools, err := findDatapathTools()
	if err != nil {
		return err
	}
	return writeImages(dir, archive, drillBinary, busybox, tools)
}

// writeImages is writeImageArchive without the checks of the binaries;
// drill's image also holds the host's files at tools (see hostFilesLayer).
func writeImages(dir, archive, drillBinary, busybox string, tools []string) error {
	bbLayer, err := fileLayer(layerFile{"bin/busybox", busybox}, busyboxApplets...)
	if err != nil {
		return err
	}
	drillLayer, err := fileLayer(layerFile{"usr/local/bin/drill", drillBinary})
	if err != nil {
		return err
	}
	drillLayers := []v1.Layer{bbLayer, drillLayer}
	if len(tools) > 0 {
		toolsLayer, err := hostFilesLayer(tools)
		if err != nil {
			return fmt.Errorf("drill image datapath tools: %w", err)
		}
		drillLayers = append(drillLayers, toolsLayer)
	}
	env := []string{"PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	pause, err := ociImage(v1.Config{Entrypoint: []string{"/bin/sleep", "2147483647"}, Env: env}, bbLayer)
	if err != nil {
		return fmt.Errorf("pause image: %w", err)
	}
	drill, err := ociImage(v1.Config{Entrypoint: []string{"/usr/local/bin/drill"}, Cmd: []string{"help"}, Env: env}, drillLayers...)
	if err != nil {
		return fmt.Errorf("drill image: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("write OCI layout: %w", err)
	}
	for _, ni := range []struct {
		name string
		img  v1.Image
	}{{DrillImage, drill}, {DrillLatestImage, drill}, {PauseImage, pause}} {
		name, img := ni.name, ni.img
		ann := map[string]string{
			// containerd names an imported image by this annotation.
			"io.containerd.image.name":          name,
			"org.opencontainers.image.ref.name": name,
		}
		plat := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
		if err := lp.AppendImage(img, layout.WithAnnotations(ann), layout.WithPlatform(plat)); err != nil {
			return fmt.Errorf("write image %s: %w", name, err)
		}
	}
	return tarDir(dir, archive)
}

// requireStatic fails unless path is a statically linked ELF executable
// (no program interpreter), as a scratch image needs.
func requireStatic(path, what, fix string) error {
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

// tarDir writes the files under dir into a tar archive at path.
func tarDir(dir, path string) error {
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
