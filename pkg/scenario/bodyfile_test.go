package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBodyFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("order.json", `{"item": 42}`)
	huge := filepath.Join(dir, "huge.bin")
	if f, err := os.Create(huge); err != nil {
		t.Fatal(err)
	} else if err := f.Truncate(MaxBodyFile + 1); err != nil {
		t.Fatal(err)
	} else {
		f.Close()
	}
	scenarioWith := func(requests string) string {
		return write("s.yaml", "apiVersion: drill/v1\nkind: Scenario\nmetadata: {name: s}\ntarget: {url: \"http://127.0.0.1:8080\"}\n"+
			"load:\n  rate: 10/s\n  duration: 1s\n  requests:\n"+requests)
	}

	sc, err := Load(scenarioWith("    - {method: POST, path: /order, bodyFile: order.json}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := sc.Load.Requests[0].Body; got != `{"item": 42}` {
		t.Errorf("body %q, want the file's bytes", got)
	}

	_, err = Load(scenarioWith("    - {method: POST, bodyFile: missing.json}\n    - {method: PUT, body: x, bodyFile: order.json}\n    - {method: POST, bodyFile: huge.bin}\n    - {method: POST, bodyFile: \".\"}\n"))
	if err == nil {
		t.Fatal("bad body files accepted")
	}
	for _, want := range []string{
		"load.requests[0].bodyFile: body file " + filepath.Join(dir, "missing.json") + ": no such file or directory",
		"load.requests[1].bodyFile: body and bodyFile are both given",
		"load.requests[2].bodyFile: body file " + huge + " is larger than 16 MiB",
		"load.requests[3].bodyFile: body file " + dir + ": is a directory",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors:\n%v\nwant %q", err, want)
		}
	}

	sc, err = LoadWith(scenarioWith("    - {method: POST, bodyFile: huge.bin}\n"), Options{AllowHuge: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(sc.Load.Requests[0].Body); n != MaxBodyFile+1 {
		t.Errorf("with AllowHuge the body has %d bytes, want %d", n, MaxBodyFile+1)
	}
}
