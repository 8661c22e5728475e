//go:build unix

// Package testenv holds what tests of several packages share: lab names
// that no other test process on the machine uses, and polling until a
// condition holds.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// prefixChars are the second character of a prefix: one per test process
// that holds labs at the same time on a machine.
const prefixChars = "0123456789abcdefghijklmnopqrstuvwxyz"

// maxLabName is the longest lab name pkg/lab accepts.
const maxLabName = 12

var (
	prefixOnce sync.Once
	prefix     string
	prefixErr  error
	// prefixLock holds the prefix's lock for the life of the process: an
	// unreferenced *os.File is closed by its finalizer, and the lock with it.
	//lint:ignore U1000 only held, never read: see above
	prefixLock *os.File
)

// LabName returns short prefixed with this test process's own two
// characters ("t" and a letter or digit), cut to the lab's 12 characters,
// so that two test runs on one machine never bring up labs of the same
// name. The prefix is held by a lock file in the system's temporary
// directory for as long as the process lives; a lab left behind by a
// killed test process is reclaimed by the next process given its prefix.
func LabName(short string) (string, error) {
	prefixOnce.Do(func() { prefix, prefixLock, prefixErr = claimPrefix() })
	if prefixErr != nil {
		return "", prefixErr
	}
	name := prefix + short
	if len(name) > maxLabName {
		name = name[:maxLabName]
	}
	return name, nil
}

// claimPrefix takes the first prefix whose lock no other process holds,
// and returns the open lock file, which must stay referenced.
func claimPrefix() (string, *os.File, error) {
	for _, c := range prefixChars {
		p := "t" + string(c)
		path := filepath.Join(os.TempDir(), "drill-labtest-"+p+".lock")
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o644)
		if err != nil {
			return "", nil, fmt.Errorf("lab name prefix: %w", err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			continue
		}
		return p, f, nil
	}
	return "", nil, fmt.Errorf("lab name prefix: all %d prefixes are held by other test processes (%s/drill-labtest-*.lock)", len(prefixChars), os.TempDir())
}
