package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// The lab registry serves the lab's own images (ghcr.io/drillkit/...) to
// the nodes, so that pods naming
// ghcr.io/drillkit/drill:latest, which the kubelet pulls every time, get
// drill's image as built at lab up. Every node's containerd has it as a
// mirror of ghcr.io; what it does not hold is fetched from ghcr.io itself.

// imageRegistryHost is the registry whose images the lab registry mirrors.
const imageRegistryHost = "ghcr.io"

// registryPort is the lab registry's port at the API server's address.
const registryPort = 5000

const procRegistry = "registry"

// registryAddr is where nodes reach the lab registry.
func (p Plan) registryAddr() string {
	return net.JoinHostPort(p.APIAddr, strconv.Itoa(registryPort))
}

// registrySpec runs the lab registry in the control plane's namespace.
func registrySpec(p Plan) procSpec {
	return procSpec{Name: procRegistry, Netns: p.CPNetns, Path: p.DrillBinary, Args: []string{
		"lab", "registry",
		"--listen", p.registryAddr(),
		"--layout", p.path("images"),
		"--ready-file", p.path("registry.ready"),
	}}
}

// RegistryConfig configures ServeRegistry.
type RegistryConfig struct {
	// Listen is the address to serve on.
	Listen string
	// Layout is an OCI image layout; each image named ghcr.io/... by its
	// org.opencontainers.image.ref.name annotation is served under the
	// rest of that name.
	Layout string
	// ReadyFile, when set, is written once every image is served.
	ReadyFile string
}

// ServeRegistry serves an in-memory OCI registry holding the images of
// cfg.Layout until ctx ends.
func ServeRegistry(ctx context.Context, cfg RegistryConfig, logger *slog.Logger) error {
	lp, err := layout.FromPath(cfg.Layout)
	if err != nil {
		return fmt.Errorf("registry images: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("registry listen: %w", err)
	}
	srv := &http.Server{
		Handler:           registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer srv.Close()
	n, err := publishLayout(ctx, lp, ln.Addr().String())
	if err != nil {
		return err
	}
	if cfg.ReadyFile != "" {
		if err := os.WriteFile(cfg.ReadyFile, []byte(ln.Addr().String()+"\n"), 0o600); err != nil {
			return fmt.Errorf("registry ready file: %w", err)
		}
	}
	logger.Info("registry serving", "listen", ln.Addr().String(), "images", n)
	select {
	case <-ctx.Done():
		return nil
	case err := <-served:
		return fmt.Errorf("registry: %w", err)
	}
}

// publishLayout pushes every ghcr.io image of the layout to the registry
// at addr and returns how many it pushed.
func publishLayout(ctx context.Context, lp layout.Path, addr string) (int, error) {
	idx, err := lp.ImageIndex()
	if err != nil {
		return 0, fmt.Errorf("registry images: %w", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return 0, fmt.Errorf("registry images: %w", err)
	}
	n := 0
	for _, d := range im.Manifests {
		ref, ok := strings.CutPrefix(d.Annotations["org.opencontainers.image.ref.name"], imageRegistryHost+"/")
		if !ok {
			continue
		}
		img, err := lp.Image(d.Digest)
		if err != nil {
			return n, fmt.Errorf("registry image %s: %w", ref, err)
		}
		tag, err := name.NewTag(addr+"/"+ref, name.Insecure)
		if err != nil {
			return n, fmt.Errorf("registry image %s: %w", ref, err)
		}
		if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
			return n, fmt.Errorf("registry image %s: %w", ref, err)
		}
		n++
	}
	if n == 0 {
		return 0, errors.New("registry images: the layout holds no " + imageRegistryHost + " image")
	}
	return n, nil
}

// writeRegistryHosts makes the lab registry a mirror of ghcr.io in the
// node's containerd registry configuration.
func writeRegistryHosts(p Plan, n NodePlan) error {
	dir := p.nodeDir(n, "certs.d", imageRegistryHost)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("node %s registry config: %w", n.Name, err)
	}
	hosts := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n",
		"https://"+imageRegistryHost, "http://"+p.registryAddr())
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(hosts), 0o600); err != nil {
		return fmt.Errorf("node %s registry config: %w", n.Name, err)
	}
	return nil
}
