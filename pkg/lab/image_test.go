package lab

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/drillkit/drill/pkg/image"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// TestWriteImages: the lab's layout names drill's image twice (one image)
// and the pause image, as the nodes and the lab registry look them up, and
// the archive is written beside it.
func TestWriteImages(t *testing.T) {
	dir := t.TempDir()
	drill, busybox := filepath.Join(dir, "drill"), filepath.Join(dir, "busybox")
	for f, content := range map[string]string{drill: "drill binary", busybox: "busybox binary"} {
		if err := os.WriteFile(f, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	lp, archive := filepath.Join(dir, "images"), filepath.Join(dir, "images.tar")
	if err := writeImages(lp, archive, image.Files{Drill: drill, Busybox: busybox}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(archive); err != nil || fi.Size() == 0 {
		t.Fatalf("archive: %v", err)
	}
	idx, err := layout.ImageIndexFromPath(lp)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	digests := map[string]string{}
	for _, d := range m.Manifests {
		digests[d.Annotations["io.containerd.image.name"]] = d.Digest.String()
	}
	if len(digests) != 3 || digests[DrillImage] == "" || digests[PauseImage] == "" {
		t.Fatalf("layout names %v, want %s, %s and %s", digests, DrillImage, DrillLatestImage, PauseImage)
	}
	if digests[DrillImage] != digests[DrillLatestImage] {
		t.Errorf("%s and %s differ (%v): want one image under both names", DrillImage, DrillLatestImage, digests)
	}
	if digests[DrillImage] == digests[PauseImage] {
		t.Errorf("drill's image is the pause image")
	}
}
