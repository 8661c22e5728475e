//go:build !linux

package lab

import (
	"errors"
	"syscall"
)

// The lab is Linux's: preflight refuses other systems before anything is
// made, so these are never reached there.

func killPid(int) {}

func detachMount(string) error { return errors.ErrUnsupported }

func privateBindMount(string, bool) error { return errors.ErrUnsupported }

func newSession() *syscall.SysProcAttr { return nil }

func signalLabProcess(int, string, syscall.Signal) {}
