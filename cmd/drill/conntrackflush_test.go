package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestConntrackFlushCmdRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		out  string
	}{
		{"no filter", nil, "give at least one --match"},
		{"everything", []string{"--match", "proto=tcp"}, "selects every entry: give a port or dst, or --all"},
		{"bad filter", []string{"--match", "port=x"}, "not within 1-65535"},
		{"unbounded", []string{"--match", "port=80", "--every", "1s", "--for", "2h"}, "want every ≥ 0 and for within"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := dispatch(context.Background(), nil, append([]string{"conntrack-flush"}, tc.args...), &stdout, &stderr); code != 2 {
				t.Fatalf("exit %d, want 2\nstdout: %s\nstderr: %s", code, &stdout, &stderr)
			}
			if !strings.Contains(stderr.String(), tc.out) {
				t.Fatalf("stderr lacks %q:\n%s", tc.out, &stderr)
			}
		})
	}
}
