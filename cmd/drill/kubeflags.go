package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/drillkit/drill/pkg/cluster"
)

// bindClusterFlags binds kubectl's --kubeconfig, --context and
// -n/--namespace to s, with clientcmd's names and shorthands.
func bindClusterFlags(fs *pflag.FlagSet, s *cluster.Selection, what string) {
	fs.StringVar(&s.Kubeconfig, clientcmd.RecommendedConfigPathFlag, "", "path of the kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config)"+what+"kubeconfig")
	flags := clientcmd.RecommendedConfigOverrideFlags("")
	ctx := flags.CurrentContext
	ctx.Description = "the kubeconfig context to use (default: the current context)" + what + "context"
	ctx.BindStringFlag(fs, &s.Context)
	ns := flags.ContextOverrideFlags.Namespace
	ns.Description = "the namespace the setup and the faults act in" + what + "namespace"
	ns.BindStringFlag(fs, &s.Namespace)
}

// checkSelection reports what is wrong with the cluster flags.
func checkSelection(s cluster.Selection) error {
	if s.Namespace != "" {
		if errs := validation.IsDNS1123Label(s.Namespace); len(errs) > 0 {
			return fmt.Errorf("--namespace %q: %s", s.Namespace, strings.Join(errs, "; "))
		}
	}
	return nil
}

// selectionFlags names the cluster flags s sets, for messages.
func selectionFlags(s cluster.Selection) string {
	var f []string
	if s.Kubeconfig != "" {
		f = append(f, "--"+clientcmd.RecommendedConfigPathFlag)
	}
	if s.Context != "" {
		f = append(f, "--"+clientcmd.FlagContext)
	}
	if s.Namespace != "" {
		f = append(f, "--"+clientcmd.FlagNamespace)
	}
	return strings.Join(f, ", ")
}
