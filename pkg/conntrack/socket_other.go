//go:build !linux

package conntrack

import (
	"errors"
	"fmt"
)

var errNoCtnetlink = fmt.Errorf("ctnetlink: %w: the conntrack table is Linux's", errors.ErrUnsupported)

// Dump fails: ctnetlink is Linux's.
func Dump() ([]Entry, error) { return nil, errNoCtnetlink }

// Global fails: ctnetlink is Linux's.
func Global() (GlobalStats, error) { return GlobalStats{}, errNoCtnetlink }

// Stats fails: ctnetlink is Linux's.
func Stats() ([]CPUStats, error) { return nil, errNoCtnetlink }

// deleter deletes entries, which only Linux has.
type deleter struct{}

func openDeleter() (*deleter, error) { return nil, errNoCtnetlink }

func (d *deleter) Close() error { return nil }

func (d *deleter) Delete(Entry) error { return errNoCtnetlink }
