package testenv

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
)

// envPrint makes the test binary print its own lab name and exit: the
// second process of TestLabNamesDifferAcrossProcesses.
const envPrint = "DRILL_TESTENV_PRINT_LAB_NAME"

func TestMain(m *testing.M) {
	if os.Getenv(envPrint) != "" {
		name, err := LabName("x")
		if err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(1)
		}
		os.Stdout.WriteString(name)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestLabNameIsStableAndFits(t *testing.T) {
	a, err := LabName("run")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := LabName("faults")
	if a[:2] != b[:2] || !strings.HasPrefix(a, "t") || a[2:] != "run" || b[2:] != "faults" {
		t.Errorf("names %q and %q: want one process prefix t? before each short name", a, b)
	}
	if long, _ := LabName("kubelettestlong"); len(long) != maxLabName || long[:2] != a[:2] {
		t.Errorf("long name %q: want the prefix and %d characters in all", long, maxLabName)
	}
}

func TestLabNamesDifferAcrossProcesses(t *testing.T) {
	mine, err := LabName("x")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), envPrint+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("second process: %v", err)
	}
	if other := string(out); other == mine || !strings.HasPrefix(other, "t") {
		t.Errorf("second process got %q while this one holds %q: want a different prefix", other, mine)
	}
}

// TestLabNamePrefixSurvivesGC: the lock that keeps the prefix this
// process's own is still held after garbage collection.
func TestLabNamePrefixSurvivesGC(t *testing.T) {
	mine, err := LabName("x")
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.GC()
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), envPrint+"=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("second process: %v", err)
	}
	if other := string(out); other[:2] == mine[:2] {
		t.Errorf("after GC a second process got the prefix of %q: %q", mine, other)
	}
}
