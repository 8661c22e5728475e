package lab

import (
	"archive/tar"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/drillkit/drill/pkg/image"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// userImage is an image as a user would bring it: busybox under /bin,
// running cmd, for linux/arch.
func userImage(t *testing.T, busybox, arch string, cmd ...string) v1.Image {
	t.Helper()
	img, err := image.BusyboxImage(busybox, v1.Config{Cmd: cmd, Env: []string{"PATH=/bin"}})
	if err != nil {
		t.Fatal(err)
	}
	if arch != runtime.GOARCH {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.Architecture = arch
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// writeDockerArchive writes img named ref as docker save does.
func writeDockerArchive(t *testing.T, path, ref string, img v1.Image) {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		t.Fatal(err)
	}
}

// writeOCIArchive writes img named ref as an OCI archive, as crane pull
// --format oci and skopeo copy oci-archive: write it.
func writeOCIArchive(t *testing.T, path, ref string, img v1.Image) {
	t.Helper()
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	ann := map[string]string{"org.opencontainers.image.ref.name": ref, "io.containerd.image.name": ref}
	if err := lp.AppendImage(img, layout.WithAnnotations(ann)); err != nil {
		t.Fatal(err)
	}
	if err := image.WriteArchive(dir, path); err != nil {
		t.Fatal(err)
	}
}

// TestCheckImageArchive: both archive formats of the nodes' platform pass;
// another platform, a tar that holds no image and a file that is no tar
// fail with what was found.
func TestCheckImageArchive(t *testing.T) {
	dir := t.TempDir()
	busybox := filepath.Join(dir, "busybox")
	if err := os.WriteFile(busybox, []byte("busybox binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	other := "arm64"
	if runtime.GOARCH == other {
		other = "amd64"
	}
	p := func(n string) string { return filepath.Join(dir, n) }
	writeOCIArchive(t, p("oci.tar"), "example.com/app:v1", userImage(t, busybox, runtime.GOARCH, "true"))
	writeDockerArchive(t, p("docker.tar"), "example.com/app:v1", userImage(t, busybox, runtime.GOARCH, "true"))
	writeDockerArchive(t, p("other.tar"), "example.com/app:v1", userImage(t, busybox, other, "true"))
	writeOCIArchive(t, p("other-oci.tar"), "example.com/app:v1", userImage(t, busybox, other, "true"))
	if err := os.WriteFile(p("text.tar"), []byte("not a tar at all, but long enough to be read as one header block"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(p("empty.tar"))
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(f)
	_ = tw.WriteHeader(&tar.Header{Name: "README", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	_, _ = tw.Write([]byte("hi"))
	_ = tw.Close()
	_ = f.Close()

	for _, ok := range []string{"oci.tar", "docker.tar"} {
		if err := checkImageArchive(p(ok)); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for file, want := range map[string]string{
		"other.tar":     "holds images for linux/" + other + ", not for the nodes' linux/" + runtime.GOARCH,
		"other-oci.tar": "holds images for linux/" + other,
		"text.tar":      "is not a tar archive",
		"empty.tar":     "neither index.json (OCI archive) nor manifest.json (docker save)",
		"missing.tar":   "no such file or directory",
	} {
		err := checkImageArchive(p(file))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", file, err, want)
		}
	}
}
