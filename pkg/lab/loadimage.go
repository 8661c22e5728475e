package lab

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
)

// LoadImages imports image archives (docker-archive, as docker save writes
// them, or OCI archives, as crane and skopeo write them) into every node's
// containerd, so pods can run them without a registry. It returns the image
// names the nodes now hold from the archives. Every archive is checked
// before any is imported.
func (l *Lab) LoadImages(ctx context.Context, archives ...string) ([]string, error) {
	p := l.plan
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
			imported, err := importArchive(ctx, p, n, a)
			if err != nil {
				return out, err
			}
			for _, name := range imported {
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
// (index.json) or a docker-archive (manifest.json) with an image for the
// nodes' platform (this machine's).
func checkImageArchive(path string) error {
	files, err := smallFiles(path)
	if err != nil {
		return err
	}
	plats, err := archivePlatforms(files)
	if err != nil {
		return fmt.Errorf("image archive %s: %w", path, err)
	}
	want := "linux/" + runtime.GOARCH
	if !slices.Contains(plats, want) {
		return fmt.Errorf("image archive %s holds images for %s, not for the nodes' %s: save the image for %s (docker pull --platform %s before docker save, or crane pull --platform %s)",
			path, strings.Join(plats, ", "), want, want, want, want)
	}
	return nil
}

// maxMetadataSize bounds the archive members read as image metadata
// (index, manifests, configs).
const maxMetadataSize = 1 << 20

// smallFiles reads the members of the tar at path that are small enough
// to be image metadata, by their names without a leading "./".
func smallFiles(path string) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("image archive: %w", err)
	}
	defer f.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("image archive %s is not a tar archive (%v): write it with docker save, crane pull or skopeo copy", path, err)
		}
		if h.Typeflag != tar.TypeReg || h.Size > maxMetadataSize {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("image archive %s: %w", path, err)
		}
		out[strings.TrimPrefix(h.Name, "./")] = b
	}
}

// archivePlatforms returns the os/architecture of every image in an OCI
// archive or docker-archive whose small members are files.
func archivePlatforms(files map[string][]byte) ([]string, error) {
	var configs []string
	switch {
	case files["index.json"] != nil:
		var walk func(blob []byte, depth int) error
		walk = func(blob []byte, depth int) error {
			var m struct {
				Manifests []struct{ Digest string }
				Config    *struct{ Digest string }
			}
			if err := json.Unmarshal(blob, &m); err != nil || depth > 3 {
				return fmt.Errorf("unreadable OCI manifest or index (%v)", err)
			}
			if m.Config != nil {
				configs = append(configs, blobPath(m.Config.Digest))
			}
			for _, d := range m.Manifests {
				b, ok := files[blobPath(d.Digest)]
				if !ok {
					return fmt.Errorf("OCI archive misses manifest %s", d.Digest)
				}
				if err := walk(b, depth+1); err != nil {
					return err
				}
			}
			return nil
		}
		if err := walk(files["index.json"], 0); err != nil {
			return nil, err
		}
	case files["manifest.json"] != nil:
		var m []struct{ Config string }
		if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
			return nil, fmt.Errorf("unreadable docker-archive manifest.json (%v)", err)
		}
		for _, e := range m {
			configs = append(configs, e.Config)
		}
	default:
		return nil, errors.New("neither index.json (OCI archive) nor manifest.json (docker save) found: write it with docker save, crane pull --format oci or skopeo copy")
	}
	var plats []string
	for _, c := range configs {
		var cf struct{ OS, Architecture string }
		if err := json.Unmarshal(files[c], &cf); err != nil {
			return nil, fmt.Errorf("image config %s missing or unreadable", c)
		}
		if p := cf.OS + "/" + cf.Architecture; !slices.Contains(plats, p) {
			plats = append(plats, p)
		}
	}
	if len(plats) == 0 {
		return nil, errors.New("no image in the archive")
	}
	return plats, nil
}

// blobPath is where an OCI layout keeps the blob of a digest.
func blobPath(digest string) string {
	alg, hex, _ := strings.Cut(digest, ":")
	return "blobs/" + alg + "/" + hex
}

// importArchive imports an image archive into the node's containerd, in
// the namespace the kubelet's images live in, and returns the names of
// the images it holds now. The import runs in ctr (--local: through
// containerd's content and image services, which prints one line per
// image) rather than the transfer service, whose progress output is meant
// for a terminal.
func importArchive(ctx context.Context, p Plan, n NodePlan, archive string) ([]string, error) {
	b, err := exec.CommandContext(ctx, p.Runtime.Ctr, "--address", p.containerdSocket(n), "--namespace", "k8s.io",
		"images", "import", "--local", archive).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("import %s into node %s: %w: %s", archive, n.Name, err, strings.TrimSpace(string(b)))
	}
	names := importedNames(string(b))
	if len(names) == 0 {
		return nil, fmt.Errorf("import %s into node %s: containerd imported no image: %s", archive, n.Name, strings.TrimSpace(string(b)))
	}
	return names, nil
}

// importedLine matches what ctr images import --local prints per image.
var importedLine = regexp.MustCompile(`(?m)^unpacking (\S+) \(`)

// importedNames reads the image names from ctr images import's output.
func importedNames(out string) []string {
	var names []string
	for _, m := range importedLine.FindAllStringSubmatch(out, -1) {
		names = append(names, m[1])
	}
	return names
}
