//go:build !linux

package netns

import (
	"errors"
	"fmt"
)

// Do fails: network namespaces are Linux's.
func Do(path string, fn func() error) error {
	return fmt.Errorf("enter network namespace %s: %w: network namespaces need Linux", path, errors.ErrUnsupported)
}
