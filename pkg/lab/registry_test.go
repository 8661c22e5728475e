package lab

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drillkit/drill/pkg/image"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestServeRegistry serves the images of a lab layout on loopback and pulls
// them back by the names pods use, less the registry host, as a containerd
// mirroring ghcr.io asks for them.
func TestServeRegistry(t *testing.T) {
	dir := t.TempDir()
	drill, busybox := filepath.Join(dir, "drill"), filepath.Join(dir, "busybox")
	for f, content := range map[string]string{drill: "drill binary", busybox: "busybox binary"} {
		if err := os.WriteFile(f, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	lp := filepath.Join(dir, "images")
	if err := writeImages(lp, filepath.Join(dir, "images.tar"), image.Files{Drill: drill, Busybox: busybox}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	ready := filepath.Join(dir, "ready")
	served := make(chan error, 1)
	go func() {
		served <- ServeRegistry(ctx, RegistryConfig{Listen: "127.0.0.1:0", Layout: lp, ReadyFile: ready}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	var addr string
	for deadline := time.Now().Add(20 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(ready)
		addr = strings.TrimSpace(string(b))
	}
	if addr == "" {
		cancel()
		t.Fatalf("registry never became ready: %v", <-served)
	}
	idx, err := layout.ImageIndexFromPath(lp)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	im, _ := idx.IndexManifest()
	for _, d := range im.Manifests {
		want[d.Annotations["io.containerd.image.name"]] = d.Digest.String()
	}
	for _, ref := range []string{DrillImage, DrillLatestImage, PauseImage} {
		tag, err := name.NewTag(addr+"/"+strings.TrimPrefix(ref, imageRegistryHost+"/"), name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := remote.Get(tag, remote.WithContext(ctx))
		if err != nil {
			t.Errorf("pull %s as %s: %v", ref, tag, err)
			continue
		}
		if desc.Digest.String() != want[ref] {
			t.Errorf("%s served as %s, the layout has %s", ref, desc.Digest, want[ref])
		}
	}
	missing, _ := name.NewTag(addr+"/someone/else:latest", name.Insecure)
	if _, err := remote.Get(missing, remote.WithContext(ctx)); err == nil {
		t.Errorf("the registry served %s, which the lab does not hold: containerd would not fall back to ghcr.io", missing)
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("registry ended with %v, want nil after its context ended", err)
	}
}
