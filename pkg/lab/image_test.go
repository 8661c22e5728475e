package lab

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// TestWriteImages reads the OCI archive back: both images are named for
// containerd, drill's image runs drill with busybox's sh beside it, and the
// pause image is the shared busybox layer alone.
func TestWriteImages(t *testing.T) {
	dir := t.TempDir()
	drill, busybox := filepath.Join(dir, "drill"), filepath.Join(dir, "busybox")
	for f, content := range map[string]string{drill: "drill binary", busybox: "busybox binary"} {
		if err := os.WriteFile(f, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	archive := filepath.Join(dir, "images.tar")
	if err := writeImages(filepath.Join(dir, "written"), archive, drill, busybox, nil); err != nil {
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
		if d.Platform == nil || d.Platform.OS != "linux" {
			t.Errorf("image %s has platform %v, want linux", name, d.Platform)
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		images[name] = img
	}
	if len(images) != 3 || images[DrillImage] == nil || images[DrillLatestImage] == nil || images[PauseImage] == nil {
		t.Fatalf("archive names %v, want %s, %s and %s", keys(images), DrillImage, DrillLatestImage, PauseImage)
	}
	if a, b := digest(t, images[DrillImage]), digest(t, images[DrillLatestImage]); a != b {
		t.Errorf("%s is %s, %s is %s: want one image under both names", DrillImage, a, DrillLatestImage, b)
	}
	cf, err := images[DrillImage].ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/usr/local/bin/drill" {
		t.Errorf("drill image entrypoint %v", cf.Config.Entrypoint)
	}
	files := imageFiles(t, images[DrillImage])
	for f, want := range map[string]string{"usr/local/bin/drill": "drill binary", "bin/busybox": "busybox binary", "bin/sh": "-> busybox"} {
		if files[f] != want {
			t.Errorf("drill image %s = %q, want %q", f, files[f], want)
		}
	}
	dl, _ := images[DrillImage].Layers()
	pl, _ := images[PauseImage].Layers()
	if len(pl) != 1 || len(dl) != 2 {
		t.Fatalf("layers: pause %d, drill %d; want 1 and 2", len(pl), len(dl))
	}
	pd, _ := pl[0].Digest()
	dd, _ := dl[0].Digest()
	if pd != dd {
		t.Errorf("pause layer %s is not drill's busybox layer %s: nodes would store busybox twice", pd, dd)
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

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}
