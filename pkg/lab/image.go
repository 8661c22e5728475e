package lab

import (
	"github.com/drillkit/drill/pkg/image"
)

// Images every node holds, built from local files at lab up by pkg/image:
// drill's own image and the pod sandbox ("pause") image. They are imported
// into every node and served by the lab registry.
const (
	// DrillImage is drill's image on the lab's kubelet nodes; its tag is not
	// latest, so the kubelet's default pull policy (IfNotPresent) uses the
	// imported image.
	DrillImage = "ghcr.io/drillkit/drill:lab"
	// DrillLatestImage is the same image under the name scenarios and the
	// agent manifest use; the kubelet pulls it (policy Always) from the lab
	// registry.
	DrillLatestImage = "ghcr.io/drillkit/drill:latest"
	// PauseImage is the pod sandbox image of the lab's kubelet nodes.
	PauseImage = "ghcr.io/drillkit/pause:lab"
)

// writeImageArchive writes an OCI image layout into dir and an OCI archive
// (a tar of it) at archive, holding DrillImage, DrillLatestImage and
// PauseImage for this machine's architecture, drill's image with the
// host's datapath tools.
func writeImageArchive(dir, archive, drillBinary, busybox string) error {
	files := image.Files{Drill: drillBinary, Busybox: busybox}
	if err := files.Check(); err != nil {
		return err
	}
	tools, err := image.DatapathTools()
	if err != nil {
		return err
	}
	files.Tools = tools
	return writeImages(dir, archive, files)
}

// writeImages is writeImageArchive without the checks of the files.
func writeImages(dir, archive string, files image.Files) error {
	imgs, err := image.Build(files, nil, nil)
	if err != nil {
		return err
	}
	err = image.WriteLayout(dir,
		image.Named(DrillImage, imgs.Drill),
		image.Named(DrillLatestImage, imgs.Drill),
		image.Named(PauseImage, imgs.Pause))
	if err != nil {
		return err
	}
	return image.WriteArchive(dir, archive)
}
