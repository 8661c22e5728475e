//go:build !linux

package vpccni

import (
	"context"
	"fmt"
	"os"
)

// Main fails: a CNI plugin sets up Linux network namespaces.
func Main(ctx context.Context, about string) int {
	fmt.Fprintf(os.Stderr, "%s: a CNI plugin for Linux network namespaces; this system is not Linux\n", about)
	return 1
}
