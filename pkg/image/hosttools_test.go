package image

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostFilesLayer puts the host's datapath tools into a layer: every
// link on the way stays a link, and each binary comes with its program
// interpreter, its libraries and iptables' extensions, so that it runs in
// a scratch image.
func TestHostFilesLayer(t *testing.T) {
	tools, err := DatapathTools()
	if err != nil {
		t.Fatalf("%v (make deps installs them)", err)
	}
	layer, err := hostFilesLayer(tools)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layer.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	entries := map[string]*tar.Header{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if entries[h.Name] != nil {
			t.Errorf("%s is in the layer twice", h.Name)
		}
		entries[h.Name] = h
	}
	// Resolve a path inside the layer as the kernel would in the image.
	var resolve func(p string, depth int) (*tar.Header, string)
	resolve = func(p string, depth int) (*tar.Header, string) {
		if depth > 20 {
			return nil, p
		}
		parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
		for i := 1; i <= len(parts); i++ {
			prefix := strings.Join(parts[:i], "/")
			h := entries[prefix]
			if h == nil && i < len(parts) {
				h = entries[prefix+"/"]
			}
			if h == nil {
				return nil, p
			}
			if h.Typeflag == tar.TypeSymlink {
				target := h.Linkname
				if !filepath.IsAbs(target) {
					target = filepath.Join("/", filepath.Dir(prefix), target)
				}
				return resolve(filepath.Join(append([]string{target}, parts[i:]...)...), depth+1)
			}
		}
		return entries[strings.Join(parts, "/")], p
	}
	for _, tool := range append(tools, "/lib64/ld-linux-x86-64.so.2") {
		if _, err := os.Stat(tool); err != nil {
			continue
		}
		h, where := resolve(tool, 0)
		if h == nil || h.Typeflag != tar.TypeReg || h.Size == 0 {
			t.Errorf("%s does not resolve to a file in the layer (got to %s)", tool, where)
		}
	}
	var libc, ext bool
	for name := range entries {
		libc = libc || strings.HasSuffix(name, "/libc.so.6")
		ext = ext || strings.Contains(name, "/xtables/libxt_comment.so")
	}
	if !libc || !ext {
		t.Errorf("layer has libc %v, iptables' comment extension %v: want both", libc, ext)
	}
}
