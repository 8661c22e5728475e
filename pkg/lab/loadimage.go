package lab

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

// LoadImages imports image archives (docker-archive, as docker save writes
// them, or OCI archives, as crane and skopeo write them) into every node's
// containerd, so pods can run them without a registry. It returns the image
// names the nodes now hold from the archives. Every archive is checked
// before any is imported; a lab whose nodes run the lab kubelet cannot run
// images.
func (l *Lab) LoadImages(ctx context.Context, archives ...string) ([]string, error) {
	p := l.plan
	if !p.realNodes() {
		return nil, fmt.Errorf("lab %s runs the lab kubelet, which runs only drill itself: bring the lab up with --node-runtime kubelet to run images", p.Name)
	}
	if len(archives) == 0 {
		return nil, errors.New("name at least one image archive (docker save or OCI archive .tar)")
	}
	var errs []error
	for _, a := range archives {
		if err := checkImageArchive(a); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	names := map[string]bool{}
	var out []string
	for _, n := range p.Nodes {
		for _, a := range archives {
			b, err := exec.CommandContext(ctx, p.Runtime.Ctr, "--address", p.containerdSocket(n), "--namespace", "k8s.io",
				"images", "import", a).CombinedOutput()
			if err != nil {
				return out, fmt.Errorf("import %s into node %s: %w: %s", a, n.Name, err, strings.TrimSpace(string(b)))
			}
			for _, name := range importedNames(string(b)) {
				if !names[name] {
					names[name] = true
					out = append(out, name)
				}
			}
		}
	}
	return out, nil
}

// checkImageArchive fails unless path is a tar holding an OCI layout
// (index.json) or a docker-archive (manifest.json).
func checkImageArchive(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("image archive: %w", err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return fmt.Errorf("image archive %s has neither index.json (OCI archive) nor manifest.json (docker save): write it with docker save, crane pull --format oci or skopeo copy", path)
		}
		if err != nil {
			return fmt.Errorf("image archive %s is not a tar archive (%v): write it with docker save, crane pull or skopeo copy", path, err)
		}
		switch strings.TrimPrefix(h.Name, "./") {
		case "index.json", "manifest.json":
			return nil
		}
	}
}

// importedLine matches what ctr images import prints per image.
var importedLine = regexp.MustCompile(`(?m)^unpacking (\S+) \(`)

// importedNames reads the image names from ctr images import's output.
func importedNames(out string) []string {
	var names []string
	for _, m := range importedLine.FindAllStringSubmatch(out, -1) {
		names = append(names, m[1])
	}
	return names
}
