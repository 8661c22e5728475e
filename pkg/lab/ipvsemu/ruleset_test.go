//go:build lab

package ipvsemu

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestRulesetLoads applies the ruleset with the real nft in a throwaway
// network namespace, so syntax the kernel or nft rejects fails here.
func TestRulesetLoads(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("nft not installed: install nftables")
		}
		t.Skip("nft not installed")
	}
	ns := "drill-ipvsemu-test"
	_ = exec.Command("ip", "netns", "del", ns).Run()
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	defer exec.Command("ip", "netns", "del", ns).Run()
	for _, rs := range []string{Ruleset("198.19.0.0/17", samplePorts()), Ruleset("198.19.0.0/17", nil)} {
		cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
		cmd.Stdin = strings.NewReader(rs)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("nft -f: %v: %s\n%s", err, out, rs)
		}
	}
	out, err := exec.Command("ip", "netns", "exec", ns, "nft", "list", "table", "ip", TableName).CombinedOutput()
	if err != nil {
		t.Fatalf("nft list: %v: %s", err, out)
	}
	if !bytes.Contains(out, []byte(Label)) {
		t.Errorf("table lacks the %q comment:\n%s", Label, out)
	}
}
