package main

import (
	"archive/tar"
	"bytes"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/drillkit/drill/pkg/image"
)

// staticBinary builds a small static Go program, an executable a scratch
// image can hold.
func staticBinary(t *testing.T, dir string) string {
	t.Helper()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\nfunc main() { println(\"static\") }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "static")
	cmd := exec.Command("go", "build", "-o", bin, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestImage builds the image, pushes its layout to a registry on loopback
// as crane push does and pulls it back: named by the version, for this
// machine's platform, labelled, with gzip layers holding the drill binary.
func TestImage(t *testing.T) {
	if _, err := image.DatapathTools(); err != nil {
		t.Skipf("%v (make deps installs them)", err)
	}
	dir := t.TempDir()
	bin := staticBinary(t, dir)
	lp, archive := filepath.Join(dir, "layout"), filepath.Join(dir, "drill.oci.tar")
	var out bytes.Buffer
	err := run([]string{"--version", "v9.8.7", "--revision", "abc123", "--drill", bin, "--busybox", bin, "--layout", lp, "--archive", archive}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "ghcr.io/drillkit/drill:v9.8.7 linux/"+runtime.GOARCH) {
		t.Errorf("output %q", out.String())
	}
	if fi, err := os.Stat(archive); err != nil || fi.Size() < 1000 {
		t.Fatalf("archive %v", err)
	}
	idx, err := layout.ImageIndexFromPath(lp)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 {
		t.Fatalf("layout holds %d entries, want 1 (crane push takes a single image)", len(m.Manifests))
	}
	d := m.Manifests[0]
	if d.Annotations["org.opencontainers.image.ref.name"] != "v9.8.7" || d.Annotations["io.containerd.image.name"] != "ghcr.io/drillkit/drill:v9.8.7" {
		t.Errorf("annotations %v", d.Annotations)
	}
	if d.Platform == nil || d.Platform.String() != "linux/"+runtime.GOARCH {
		t.Errorf("platform %v", d.Platform)
	}
	img, err := idx.Image(d.Digest)
	if err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ref, err := name.NewTag(strings.TrimPrefix(srv.URL, "http://")+"/team/drill:v9.8.7", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := digestOf(t, pulled), d.Digest.String(); a != b {
		t.Errorf("pulled %s, pushed %s", a, b)
	}
	cf, err := pulled.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"org.opencontainers.image.version": "v9.8.7", "org.opencontainers.image.revision": "abc123"} {
		if cf.Config.Labels[k] != want {
			t.Errorf("label %s = %q, want %q", k, cf.Config.Labels[k], want)
		}
	}
	man, err := pulled.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if man.Annotations["org.opencontainers.image.version"] != "v9.8.7" {
		t.Errorf("manifest annotations %v", man.Annotations)
	}
	for _, l := range man.Layers {
		if l.MediaType != "application/vnd.oci.image.layer.v1.tar+gzip" {
			t.Errorf("layer %s is %s, want gzip", l.Digest, l.MediaType)
		}
	}
	want, _ := os.ReadFile(bin)
	if got := fileIn(t, pulled, strings.TrimPrefix(image.DrillEntrypoint, "/")); !bytes.Equal(got, want) {
		t.Errorf("%s in the pulled image: %d bytes, want the %d of the drill binary", image.DrillEntrypoint, len(got), len(want))
	}
}

// TestParse reports every problem of a command line at once.
func TestParse(t *testing.T) {
	_, err := parse([]string{"--repository", "Not A Repo", "--busybox", "/bin/true", "extra"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"unexpected arguments", "--version is required"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	_, err = parse([]string{"--repository", "Not A Repo", "--version", "v1", "--busybox", "/bin/true"})
	if err == nil || !strings.Contains(err.Error(), "no image reference") {
		t.Errorf("bad repository: %v", err)
	}
}

func digestOf(t *testing.T, img v1.Image) string {
	t.Helper()
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// fileIn is the content of the regular file at path in img's layers.
func fileIn(t *testing.T, img v1.Image, path string) []byte {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var found []byte
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
			if h.Name == path && h.Typeflag == tar.TypeReg {
				if found, err = io.ReadAll(tr); err != nil {
					t.Fatal(err)
				}
			}
		}
		rc.Close()
	}
	return found
}
