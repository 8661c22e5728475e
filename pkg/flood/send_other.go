//go:build !linux

package flood

import (
	"errors"
	"fmt"
)

// send fails: the flood fills Linux's conntrack table, which other systems lack.
func (s *sender) send() error {
	return fmt.Errorf("flood: %w: needs Linux", errors.ErrUnsupported)
}
