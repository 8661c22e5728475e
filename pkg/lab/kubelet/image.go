package kubelet

import (
	"fmt"
	"path"
	"strings"
)

// ReasonImageNotRunnable is the waiting reason of a container whose image the
// lab cannot run.
const ReasonImageNotRunnable = "ImageNotRunnableInLab"

// ReasonCommandNotRunnable is the waiting reason of a drill-image container
// whose command does not start with the drill binary.
const ReasonCommandNotRunnable = "CommandNotRunnableInLab"

// IsDrillImage reports whether image names drill's container image: the last
// path element of its repository is "drill" (drill, drill:v1,
// ghcr.io/drillkit/drill:latest, registry:5000/x/drill@sha256:...).
func IsDrillImage(image string) bool {
	repo := strings.TrimSpace(image)
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	// A tag is the part after the last ':' that follows the last '/'
	// (a ':' before the last '/' belongs to a registry port).
	if i := strings.LastIndex(repo, ":"); i >= 0 && i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	return repo != "" && path.Base(repo) == "drill"
}

// isDrillCommand reports whether command[0] names the drill binary of drill's image.
func isDrillCommand(name string) bool {
	switch name {
	case "drill", "/drill", "/usr/local/bin/drill", "/usr/bin/drill", "/bin/drill":
		return true
	}
	return false
}

// containerArgv returns the argv of a container that runs drill's image: the
// image's entrypoint is the drill binary, so with no command the args follow
// drillBinary; a command must start with drill (or /drill,
// /usr/local/bin/drill), which is replaced by drillBinary. The error has the
// waiting reason to report.
func containerArgv(image string, command, args []string, drillBinary string) ([]string, string, error) {
	if !IsDrillImage(image) {
		return nil, ReasonImageNotRunnable, fmt.Errorf("image %q cannot run in the lab: only drill's image (repository name drill, e.g. ghcr.io/drillkit/drill) runs, as the drill binary", image)
	}
	if len(command) == 0 {
		return append([]string{drillBinary}, args...), "", nil
	}
	if !isDrillCommand(command[0]) {
		return nil, ReasonCommandNotRunnable, fmt.Errorf("command %q cannot run in the lab: a drill-image container's command must start with drill (or /usr/local/bin/drill), or be empty", command[0])
	}
	argv := append([]string{drillBinary}, command[1:]...)
	return append(argv, args...), "", nil
}
