package render

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The embedded chart library is the one scripts/fetch-chartlib.sh fetched:
// its files match the checksums it wrote to chartlib/VERSION.
func TestChartLibMatchesItsChecksums(t *testing.T) {
	version, err := os.ReadFile(filepath.Join("chartlib", "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	embedded := map[string][]byte{"uPlot.iife.min.js": uplotJS, "uPlot.min.css": uplotCSS}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(version)), "\n")[1:] {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("chartlib/VERSION line %q is not \"sha256  file\"", line)
		}
		data, isEmbedded := embedded[name]
		if !isEmbedded {
			if data, err = os.ReadFile(filepath.Join("chartlib", name)); err != nil {
				t.Fatal(err)
			}
		}
		if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
			t.Errorf("chartlib/%s has sha256 %x, VERSION says %s: run make chartlib", name, got, sum)
		}
		checked++
	}
	if checked != 3 {
		t.Errorf("VERSION lists %d files, want the script, the stylesheet and the licence", checked)
	}
}
