package image

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Datapath tools the node agent runs (deploy/Dockerfile installs the same
// in its image). Drill's image here takes them from the host, with every
// shared library they load, so the agent on a lab node or a cluster's node
// reads iptables and nftables. Required ones must be on
// the host (scripts/deps.sh installs them); optional ones are taken when
// present.
var (
	requiredDatapathTools = []string{"iptables-save", "nft", "conntrack"}
	optionalDatapathTools = []string{"iptables-legacy-save", "iptables-nft-save"}
)

// multiarchTriplet is Debian's library directory name for this machine's
// architecture.
func multiarchTriplet() string {
	switch runtime.GOARCH {
	case "arm64":
		return "aarch64-linux-gnu"
	default:
		return "x86_64-linux-gnu"
	}
}

// DatapathTools returns the host paths of the datapath tools, failing
// with every missing required one named.
func DatapathTools() ([]string, error) {
	var out, missing []string
	for _, t := range requiredDatapathTools {
		p, err := exec.LookPath(t)
		if err != nil {
			missing = append(missing, t)
			continue
		}
		out = append(out, p)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s not found in PATH: the node agent in drill's image needs them (apt-get install iptables nftables conntrack; scripts/deps.sh does)", strings.Join(missing, ", "))
	}
	for _, t := range optionalDatapathTools {
		if p, err := exec.LookPath(t); err == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// hostFilesLayer makes a layer holding the host files at paths as they are
// on the host: every symbolic link on the way (of a file or of a directory
// above it) as a link, every ELF file with the shared libraries and program
// interpreter it needs, and, for xtables, its extension directory, which
// iptables loads at run time.
func hostFilesLayer(paths []string) (v1.Layer, error) {
	c := &hostFileCollector{seen: map[string]bool{}}
	libDirs := []string{"/lib/" + multiarchTriplet(), "/usr/lib/" + multiarchTriplet(), "/lib", "/usr/lib"}
	c.libDirs = libDirs
	for _, p := range paths {
		if err := c.add(p); err != nil {
			return nil, err
		}
	}
	ext, _ := filepath.Glob(filepath.Join("/usr/lib", multiarchTriplet(), "xtables", "*.so"))
	for _, p := range ext {
		if err := c.add(p); err != nil {
			return nil, err
		}
	}
	if err := c.tw.Close(); err != nil {
		return nil, err
	}
	return static.NewLayer(c.buf.Bytes(), types.OCIUncompressedLayer), nil
}

// hostFileCollector writes host files into a layer once each.
type hostFileCollector struct {
	buf     bytes.Buffer
	tw      *tar.Writer
	seen    map[string]bool
	libDirs []string
}

// add writes path, resolving links component by component.
func (c *hostFileCollector) add(path string) error {
	if c.tw == nil {
		c.tw = tar.NewWriter(&c.buf)
	}
	path = filepath.Clean(path)
	if c.seen[path] {
		return nil
	}
	// A directory above path that is a link on the host (/lib -> usr/lib)
	// becomes the same link, and path is added through its target.
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i := 1; i < len(parts); i++ {
		dir := "/" + filepath.Join(parts[:i]...)
		fi, err := os.Lstat(dir)
		if err != nil {
			return fmt.Errorf("image file %s: %w", path, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if err := c.add(dir); err != nil {
				return err
			}
			target, err := filepath.EvalSymlinks(dir)
			if err != nil {
				return fmt.Errorf("image file %s: %w", path, err)
			}
			return c.add(filepath.Join(append([]string{target}, parts[i:]...)...))
		}
		if !c.seen[dir] {
			c.seen[dir] = true
			if err := c.header(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755}); err != nil {
				return err
			}
		}
	}
	c.seen[path] = true
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("image file %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		link, err := os.Readlink(path)
		if err != nil {
			return err
		}
		if err := c.header(&tar.Header{Typeflag: tar.TypeSymlink, Name: path, Linkname: link, Mode: 0o777}); err != nil {
			return err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(path), link)
		}
		return c.add(link)
	}
	if fi.IsDir() {
		return c.header(&tar.Header{Typeflag: tar.TypeDir, Name: path + "/", Mode: 0o755})
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("image file %s: %w", path, err)
	}
	if err := c.header(&tar.Header{Typeflag: tar.TypeReg, Name: path, Mode: int64(fi.Mode().Perm()), Size: int64(len(b))}); err != nil {
		return err
	}
	if _, err := c.tw.Write(b); err != nil {
		return err
	}
	return c.addELFDeps(path, b)
}

// addELFDeps adds the program interpreter and the shared libraries an ELF
// file needs; other files need nothing.
func (c *hostFileCollector) addELFDeps(path string, b []byte) error {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			interp := make([]byte, p.Filesz)
			if _, err := p.ReadAt(interp, 0); err != nil {
				return fmt.Errorf("image file %s: interpreter: %w", path, err)
			}
			if err := c.add(strings.TrimRight(string(interp), "\x00")); err != nil {
				return err
			}
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return fmt.Errorf("image file %s: %w", path, err)
	}
	for _, lib := range libs {
		i := slices.IndexFunc(c.libDirs, func(d string) bool {
			_, err := os.Stat(filepath.Join(d, lib))
			return err == nil
		})
		if i < 0 {
			return fmt.Errorf("image file %s needs %s, found in none of %s", path, lib, strings.Join(c.libDirs, ", "))
		}
		if err := c.add(filepath.Join(c.libDirs[i], lib)); err != nil {
			return err
		}
	}
	return nil
}

// header writes h with the fixed time that keeps a layer's digest a
// function of its files alone.
func (c *hostFileCollector) header(h *tar.Header) error {
	h.Name = strings.TrimPrefix(h.Name, "/")
	h.ModTime = time.Unix(0, 0)
	return c.tw.WriteHeader(h)
}
