// Command drill-image builds drill's container image for a registry
// without a container engine, with the code that builds the lab's image
// (pkg/image): the static drill binary, a static busybox and this host's
// datapath tools, for linux on this machine's architecture. It writes an
// OCI image layout and an OCI archive of it; `make image` runs it, and
// crane or skopeo push either (docs/eks.md).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/drillkit/drill/pkg/image"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "drill-image:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	Version, Repository, Revision, Source string
	Drill, Busybox                        string
	Layout, Archive                       string
}

func parse(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("drill-image", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Version, "version", "", "the image's tag and version label (required; the Makefile passes its VERSION)")
	fs.StringVar(&o.Repository, "repository", "ghcr.io/drillkit/drill", "the repository the image is named in")
	fs.StringVar(&o.Revision, "revision", "", "the source revision label (a git commit)")
	fs.StringVar(&o.Source, "source", "https://github.com/drillkit/drill", "the source label")
	fs.StringVar(&o.Drill, "drill", "bin/drill", "the static drill binary")
	fs.StringVar(&o.Busybox, "busybox", "", "the static busybox (default: busybox in PATH)")
	fs.StringVar(&o.Layout, "layout", "bin/drill-image", "the OCI image layout directory to write (replaced)")
	fs.StringVar(&o.Archive, "archive", "bin/drill-image.oci.tar", "the OCI archive to write")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var errs []error
	if fs.NArg() > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	if o.Version == "" {
		errs = append(errs, errors.New("--version is required"))
	} else if _, err := name.NewTag(o.Repository + ":" + o.Version); err != nil {
		errs = append(errs, fmt.Errorf("--repository %q with --version %q is no image reference: %w", o.Repository, o.Version, err))
	}
	if o.Busybox == "" {
		p, err := exec.LookPath("busybox")
		if err != nil {
			errs = append(errs, errors.New("busybox not in PATH: install busybox-static (scripts/deps.sh does) or pass --busybox"))
		}
		o.Busybox = p
	}
	return o, errors.Join(errs...)
}

func run(args []string, stdout io.Writer) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	files := image.Files{Drill: o.Drill, Busybox: o.Busybox}
	if err := files.Check(); err != nil {
		return err
	}
	if files.Tools, err = image.DatapathTools(); err != nil {
		return err
	}
	labels := map[string]string{
		"org.opencontainers.image.title":   "drill",
		"org.opencontainers.image.version": o.Version,
		"org.opencontainers.image.source":  o.Source,
	}
	if o.Revision != "" {
		labels["org.opencontainers.image.revision"] = o.Revision
	}
	imgs, err := image.Build(files, labels, labels)
	if err != nil {
		return err
	}
	drill, err := image.Compressed(imgs.Drill)
	if err != nil {
		return err
	}
	ref := o.Repository + ":" + o.Version
	entry := image.Entry{Image: drill, Annotations: map[string]string{
		// skopeo's oci:DIR:TAG and oci-archive:FILE:TAG find the image by
		// this tag; containerd (ctr images import, drill lab load-image)
		// names it by the full reference.
		"org.opencontainers.image.ref.name": o.Version,
		"io.containerd.image.name":          ref,
		"org.opencontainers.image.version":  o.Version,
	}}
	if err := image.WriteLayout(o.Layout, entry); err != nil {
		return err
	}
	if err := image.WriteArchive(o.Layout, o.Archive); err != nil {
		return err
	}
	digest, err := drill.Digest()
	if err != nil {
		return err
	}
	size, err := imageSize(drill)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s linux/%s %s (%.1f MB compressed)\n  OCI layout  %s\n  OCI archive %s\n",
		ref, runtime.GOARCH, digest, float64(size)/1e6, o.Layout, o.Archive)
	return nil
}

// imageSize is the size of an image's layers as stored.
func imageSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, l := range m.Layers {
		n += l.Size
	}
	return n, nil
}
