package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestLinuxCommandsElsewhere runs drill's Linux commands as on macOS: each
// refuses in one line naming the system and what to do instead, with exit
// 1, while its help and the portable commands still work.
func TestLinuxCommandsElsewhere(t *testing.T) {
	for _, args := range [][]string{
		{"lab", "up"}, {"lab", "down", "--name", "x"}, {"lab", "status"},
		{"agent", "--once"}, {"flood"}, {"conntrack-flush", "--all"},
	} {
		var stdout, stderr bytes.Buffer
		a := &app{stdout: &stdout, stderr: &stderr, goos: "darwin"}
		if code := a.dispatch(context.Background(), args); code != 1 {
			t.Errorf("drill %v on darwin: exit %d, want 1 (stderr %q)", args, code, stderr.String())
		}
		msg := stderr.String()
		if strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "needs Linux") || !strings.Contains(msg, "darwin") ||
			!strings.HasPrefix(msg, "drill "+args[0]) {
			t.Errorf("drill %v on darwin printed %q, want one line naming the command, Linux and darwin", args, msg)
		}
	}
	for _, args := range [][]string{{"lab", "up", "--help"}, {"version"}, {"validate", "../../scenarios/echo-steady.yaml"}} {
		var stdout, stderr bytes.Buffer
		a := &app{stdout: &stdout, stderr: &stderr, goos: "windows"}
		if code := a.dispatch(context.Background(), args); code != 0 {
			t.Errorf("drill %v on windows: exit %d, want 0 (stderr %q)", args, code, stderr.String())
		}
	}
}
