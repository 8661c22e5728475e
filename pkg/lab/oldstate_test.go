package lab

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenOldNodeRuntime: the state of a lab an older drill brought up on
// its own lab kubelet (nodeRuntime "lab", or no nodeRuntime at all) is
// refused with an error saying to take it down, and Down removes it.
func TestOpenOldNodeRuntime(t *testing.T) {
	for _, tt := range []struct{ name, state string }{
		{"oldlab", `{"name": "oldlab", "nodeRuntime": "lab", "proxyMode": "iptables"}`},
		{"older", `{"name": "older", "proxyMode": "iptables"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, tt.name)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "lab.json"), []byte(tt.state), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := OpenIn(root, tt.name)
			if !errors.Is(err, errOldNodeRuntime) {
				t.Fatalf("OpenIn = %v, want errOldNodeRuntime", err)
			}
			for _, want := range []string{"older drill", "lab kubelet", "`drill lab down --name " + tt.name + "`"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("OpenIn error %q does not say %q", err, want)
				}
			}
			if err := DownIn(context.Background(), root, tt.name, nil); err != nil {
				t.Fatalf("DownIn: %v", err)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("state dir after DownIn: %v, want it gone", err)
			}
		})
	}

	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "current"), 0o700); err != nil {
		t.Fatal(err)
	}
	state := `{"name": "current", "nodeRuntime": "kubelet", "proxyMode": "iptables"}`
	if err := os.WriteFile(filepath.Join(root, "current", "lab.json"), []byte(state), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenIn(root, "current"); err != nil {
		t.Errorf("OpenIn of a lab on the upstream kubelet: %v", err)
	}
}
