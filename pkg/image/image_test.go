package image

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// TestBuild writes both images into a layout and an archive and reads the
// archive back: drill's image runs drill with busybox's sh beside it and
// carries its labels and annotations, the pause image is the shared
// busybox layer alone, and each entry is named and has its platform.
func TestBuild(t *testing.T) {
	dir := t.TempDir()
	drill, busybox := filepath.Join(dir, "drill"), filepath.Join(dir, "busybox")
	for f, content := range map[string]string{drill: "drill binary", busybox: "busybox binary"} {
		if err := os.WriteFile(f, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	labels := map[string]string{"org.opencontainers.image.version": "v1.2.3"}
	imgs, err := Build(Files{Drill: drill, Busybox: busybox}, labels, map[string]string{"org.opencontainers.image.version": "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	written, archive := filepath.Join(dir, "written"), filepath.Join(dir, "images.tar")
	if err := WriteLayout(written, Named("example.com/drill:v1", imgs.Drill), Named("example.com/pause:v1", imgs.Pause)); err != nil {
		t.Fatal(err)
	}
	if err := WriteArchive(written, archive); err != nil {
		t.Fatal(err)
	}
	lp := untar(t, archive, filepath.Join(dir, "layout"))
	idx, err := layout.ImageIndexFromPath(lp)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	images := map[string]v1.Image{}
	for _, d := range m.Manifests {
		name := d.Annotations["io.containerd.image.name"]
		if d.Platform == nil || d.Platform.OS != "linux" || d.Platform.Architecture != runtime.GOARCH {
			t.Errorf("image %s has platform %v, want linux/%s", name, d.Platform, runtime.GOARCH)
		}
		if d.Annotations["org.opencontainers.image.ref.name"] != name {
			t.Errorf("image %s has ref.name %q", name, d.Annotations["org.opencontainers.image.ref.name"])
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		images[name] = img
	}
	drillImg, pause := images["example.com/drill:v1"], images["example.com/pause:v1"]
	if len(images) != 2 || drillImg == nil || pause == nil {
		t.Fatalf("archive names %v", keys(images))
	}
	cf, err := drillImg.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != DrillEntrypoint {
		t.Errorf("drill image entrypoint %v", cf.Config.Entrypoint)
	}
	if cf.Config.Labels["org.opencontainers.image.version"] != "v1.2.3" || cf.Architecture != runtime.GOARCH {
		t.Errorf("drill image labels %v, architecture %s", cf.Config.Labels, cf.Architecture)
	}
	man, err := drillImg.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if man.Annotations["org.opencontainers.image.version"] != "v1.2.3" {
		t.Errorf("drill manifest annotations %v", man.Annotations)
	}
	files := imageFiles(t, drillImg)
	for f, want := range map[string]string{"usr/local/bin/drill": "drill binary", "bin/busybox": "busybox binary", "bin/sh": "-> busybox"} {
		if files[f] != want {
			t.Errorf("drill image %s = %q, want %q", f, files[f], want)
		}
	}
	dl, _ := drillImg.Layers()
	pl, _ := pause.Layers()
	if len(pl) != 1 || len(dl) != 2 {
		t.Fatalf("layers: pause %d, drill %d; want 1 and 2", len(pl), len(dl))
	}
	pd, _ := pl[0].Digest()
	dd, _ := dl[0].Digest()
	if pd != dd {
		t.Errorf("pause layer %s is not drill's busybox layer %s: nodes would store busybox twice", pd, dd)
	}
}

// TestFilesCheck names every file that cannot run in a scratch image.
func TestFilesCheck(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "text")
	if err := os.WriteFile(text, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	err = Files{Drill: text, Busybox: text}.Check()
	if err == nil || !strings.Contains(err.Error(), "drill "+text) || !strings.Contains(err.Error(), "busybox "+text) {
		t.Errorf("Check of two scripts: %v, want both named", err)
	}
	// The test binary is static when built with CGO_ENABLED=0 and dynamic
	// otherwise; either way Check must agree with the ELF header.
	want := RequireStatic(self, "drill", "")
	got := Files{Drill: self, Busybox: self}.Check()
	if (want == nil) != (got == nil) {
		t.Errorf("Check of the test binary: %v, RequireStatic says %v", got, want)
	}
}

func keys(m map[string]v1.Image) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// untar extracts a tar archive of regular files and directories into dir.
func untar(t *testing.T, archive, dir string) string {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return dir
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, h.Name)
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// imageFiles maps every regular file of an image to its content and every
// symbolic link to "-> target".
func imageFiles(t *testing.T, img v1.Image) map[string]string {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			switch h.Typeflag {
			case tar.TypeReg:
				b, _ := io.ReadAll(tr)
				out[h.Name] = string(b)
			case tar.TypeSymlink:
				out[h.Name] = "-> " + h.Linkname
			}
		}
		rc.Close()
	}
	return out
}
