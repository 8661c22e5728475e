// Command drill-kube is the lab's Kubernetes control plane and node agents in
// one multi-call binary: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, kube-proxy and the kubelet, built from the upstream Go
// modules.
//
// Usage:
//
//	drill-kube etcd|kube-apiserver|kube-controller-manager|kube-scheduler|kube-proxy|kubelet [flags]
//
// It also dispatches on the basename of argv[0], so a symlink named
// kube-apiserver pointing at drill-kube runs the API server.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	_ "time/tzdata" // CronJob time zones need the zone database.

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // JSON log format
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	"k8s.io/component-base/version"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"
)

// commands maps each component name to the constructor of its cobra command.
func commands() map[string]func() *cobra.Command {
	return map[string]func() *cobra.Command{
		"kube-apiserver":          apiserver.NewAPIServerCommand,
		"kube-controller-manager": controllermanager.NewControllerManagerCommand,
		"kube-scheduler":          func() *cobra.Command { return scheduler.NewSchedulerCommand() },
		"kube-proxy":              proxy.NewProxyCommand,
		"kubelet": func() *cobra.Command {
			// The kubelet sets up its own signal handling when it runs.
			return kubelet.NewKubeletCommand(context.Background())
		},
	}
}

func main() {
	os.Exit(run(os.Args))
}

func run(argv []string) int {
	name := filepath.Base(argv[0])
	args := argv[1:]
	if name == "drill-kube" || !known(name) {
		if len(args) == 0 {
			usage()
			return 2
		}
		name, args = args[0], args[1:]
	}
	switch name {
	case "version", "--version":
		fmt.Println("drill-kube", version.Get().GitVersion)
		return 0
	case "etcd":
		etcdmain.Main(append([]string{"etcd"}, args...))
		return 0
	}
	newCmd, ok := commands()[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "drill-kube: unknown component %q\n", name)
		usage()
		return 2
	}
	cmd := newCmd()
	cmd.SetArgs(args)
	return cli.Run(cmd)
}

func known(name string) bool {
	_, ok := commands()[name]
	return ok || name == "etcd"
}

func usage() {
	names := []string{"etcd"}
	for n := range commands() {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(os.Stderr, "usage: drill-kube %s [flags]\n", strings.Join(names, "|"))
}
