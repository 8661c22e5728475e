package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestFloodCmd(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"refuses other addresses", []string{"--to", "10.0.0.1", "--for", "1s"}, 2, "10.0.0.1 refused"},
		{"bad ports", []string{"--ports", "9-1"}, 2, "not a range"},
		{"bounds", []string{"--rate", "1000000", "--for", "2h"}, 2, "rate 1000000/s is outside"},
		{"loopback", []string{"--to", "127.0.0.1", "--count", "5", "--rate", "1000", "--for", "10s"}, 0, "sent=5 errors=0"},
		{"help", []string{"-h"}, 0, "--fill"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := dispatch(context.Background(), nil, append([]string{"flood"}, tc.args...), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, &stdout, &stderr)
			}
			if all := stdout.String() + stderr.String(); !strings.Contains(all, tc.out) {
				t.Fatalf("output lacks %q:\n%s", tc.out, all)
			}
		})
	}
}

func TestPortRange(t *testing.T) {
	for _, tc := range []struct {
		in          string
		first, n    int
		errContains string
	}{
		{"20000-20999", 20000, 1000, ""},
		{"53", 53, 1, ""},
		{"0-10", 0, 0, "not a range"},
		{"10-65536", 0, 0, "not a range"},
		{"a-b", 0, 0, "want a port"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			first, n, err := portRange(tc.in)
			if tc.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errContains) {
					t.Fatalf("portRange(%q) = %v, want an error with %q", tc.in, err, tc.errContains)
				}
				return
			}
			if err != nil || first != tc.first || n != tc.n {
				t.Fatalf("portRange(%q) = %d, %d, %v; want %d, %d", tc.in, first, n, err, tc.first, tc.n)
			}
		})
	}
}
