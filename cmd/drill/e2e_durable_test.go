package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/drillkit/drill/pkg/report"
	"github.com/drillkit/drill/pkg/testenv"
)

// TestExistingDirRefusedUnlessOverwrite runs twice into the same --dir: the
// second run is refused (exit 2, the directory and --overwrite named) and
// leaves the first run's report as it was; with --overwrite it replaces it.
func TestExistingDirRefusedUnlessOverwrite(t *testing.T) {
	t.Parallel()
	srv := failingServer(t, 1<<40)
	file := scenarioFile(t, srv.URL, "{rate: 50/s, duration: 1s}", "")
	res, first, dir := runScenario(t, file)
	if res.code != report.ExitOK {
		t.Fatalf("first run: exit %d\n%s", res.code, res.stderr)
	}
	again := drill(t, "run", "--quiet", "--dir", dir, file)
	if again.code != report.ExitUsage {
		t.Fatalf("second run into %s: exit %d, want %d\n%s", dir, again.code, report.ExitUsage, again.stderr)
	}
	if !strings.Contains(again.stderr, dir) || !strings.Contains(again.stderr, "--overwrite") {
		t.Errorf("refusal does not name the directory and --overwrite: %s", again.stderr)
	}
	if r, err := report.Load(dir); err != nil || !r.StartedAt.Equal(first.StartedAt) {
		t.Fatalf("refused run changed the first report (err %v)", err)
	}
	over := drill(t, "run", "--quiet", "--overwrite", "--dir", dir, file)
	if over.code != report.ExitOK {
		t.Fatalf("run with --overwrite: exit %d\n%s", over.code, over.stderr)
	}
	r, err := report.Load(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !r.StartedAt.After(first.StartedAt) {
		t.Errorf("--overwrite kept the old report (started %s, first %s)", r.StartedAt, first.StartedAt)
	}
}

// TestUnreachableTargetLeavesErrorReport runs against a loopback port
// nothing listens on: exit 1, and the run directory still holds a report
// with status error and the reason, which renders as JUnit with an erroring
// "run" testcase and the check failing for want of data.
func TestUnreachableTargetLeavesErrorReport(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	file := scenarioFile(t, url, "{rate: 10/s, duration: 1s}", "checks: [\"success_rate >= 99%\"]\n")
	res, r, dir := runScenario(t, file)
	if res.code != report.ExitError {
		t.Fatalf("exit %d, want %d\n%s", res.code, report.ExitError, res.stderr)
	}
	if r.Status != report.StatusError || !r.Incomplete || !strings.Contains(r.IncompleteReason, "refused") || r.ExitCode != report.ExitError {
		t.Errorf("report: status %s incomplete %v reason %q exit %d; want error, incomplete, the refusal, %d", r.Status, r.Incomplete, r.IncompleteReason, r.ExitCode, report.ExitError)
	}
	if len(r.Checks) != 1 || r.Checks[0].Passed || !r.Checks[0].NoData {
		t.Errorf("checks %+v: want the one check, not passed, no data", r.Checks)
	}
	out := drill(t, "report", dir, "-o", "junit")
	if out.code != report.ExitOK {
		t.Fatalf("drill report -o junit: exit %d: %s", out.code, out.stderr)
	}
	var suites struct {
		Errors   int `xml:"errors,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name  string `xml:"name,attr"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out.stdout), &suites); err != nil {
		t.Fatalf("junit: %v\n%s", err, out.stdout)
	}
	if suites.Errors != 1 || suites.Failures != 1 || len(suites.Suites) != 1 {
		t.Fatalf("junit: %d errors, %d failures; want 1 and 1\n%s", suites.Errors, suites.Failures, out.stdout)
	}
	if c := suites.Suites[0].Cases[0]; c.Name != "run" || c.Error == nil || !strings.Contains(c.Error.Message, "refused") {
		t.Errorf("junit's first testcase %+v: want run, erroring with the refusal", c)
	}
}

// decodeResults reads a results file with vegeta's own decoder, as `vegeta
// report` does, and returns how many results it holds; a file that does not
// end on a whole result fails the test.
func decodeResults(t *testing.T, path string) uint64 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := vegeta.DecoderFor(bytes.NewReader(data))
	if dec == nil {
		t.Fatalf("%s (%d bytes): vegeta does not recognise it", path, len(data))
	}
	for n := uint64(0); ; n++ {
		var r vegeta.Result
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			return n
		} else if err != nil {
			t.Fatalf("%s (%d bytes): result %d: %v", path, len(data), n+1, err)
		}
	}
}

// TestKilledRunLeavesReadableRun kills drill run with SIGKILL once it has
// run past its first checkpoint: results.bin is readable by vegeta up to
// the cut, report.json is a valid report marked incomplete with what had
// been measured, and drill report (also --from-results, also on a file cut
// mid-result) renders the directory with exit 0.
func TestKilledRunLeavesReadableRun(t *testing.T) {
	t.Parallel()
	srv := failingServer(t, 1<<40)
	file := scenarioFile(t, srv.URL, "{rate: 100/s, duration: 2m}", "checks: [\"success_rate >= 99%\"]\n")
	dir := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(drillBin, "run", "--quiet", "--dir", dir, file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	// Past the first refresh of the provisional report (every 5 s): wait
	// until report.json counts requests.
	testenv.Eventually(t, time.Minute, 100*time.Millisecond, "a provisional report with requests", func() (bool, string) {
		r, err := report.Load(dir)
		return err == nil && r.Summary.Requests > 0, stderr.String()
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	sent := srv.requests.Load()

	results := filepath.Join(dir, "results.bin")
	stored := decodeResults(t, results)
	if stored == 0 || stored > sent {
		t.Fatalf("results.bin holds %d results; the server saw %d", stored, sent)
	}
	r, err := report.Load(dir)
	if err != nil {
		t.Fatalf("report.json after SIGKILL: %v", err)
	}
	if !r.Incomplete || r.Status != report.StatusError || !strings.Contains(r.IncompleteReason, "killed") {
		t.Errorf("report: status %s incomplete %v reason %q; want error, incomplete, saying the run may have been killed", r.Status, r.Incomplete, r.IncompleteReason)
	}
	if r.Scenario.Name != "e2e" || r.Scenario.File != file || len(r.Checks) != 1 || r.Summary.Requests == 0 || r.Summary.Requests > sent {
		t.Errorf("report: scenario %+v, %d checks, %d requests (server %d): want the scenario, its check and what was measured", r.Scenario, len(r.Checks), r.Summary.Requests, sent)
	}
	out := drill(t, "report", dir)
	if out.code != report.ExitOK || !strings.Contains(out.stdout, "Incomplete") {
		t.Errorf("drill report on the killed run: exit %d, want 0 and the report marked incomplete\n%s%s", out.code, out.stdout, out.stderr)
	}
	out = drill(t, "report", "--from-results", "-o", "json", dir)
	if out.code != report.ExitOK {
		t.Fatalf("drill report --from-results on the killed run: exit %d\n%s", out.code, out.stderr)
	}
	if got := decodeReport(t, out.stdout); got.Summary.Requests != stored {
		t.Errorf("--from-results counts %d requests, results.bin holds %d", got.Summary.Requests, stored)
	}

	// A file cut inside its last result (a crash in the middle of a write)
	// is read up to its last whole result.
	info, err := os.Stat(results)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(results, info.Size()-5); err != nil {
		t.Fatal(err)
	}
	out = drill(t, "report", "--from-results", "-o", "json", dir)
	if out.code != report.ExitOK || !strings.Contains(out.stderr, "cut") {
		t.Fatalf("drill report --from-results on a cut file: exit %d, want 0 with a warning\n%s", out.code, out.stderr)
	}
	if got := decodeReport(t, out.stdout); got.Summary.Requests != stored-1 || !got.Incomplete {
		t.Errorf("--from-results on a cut file: %d requests (incomplete %v), want %d, incomplete", got.Summary.Requests, got.Incomplete, stored-1)
	}
}

func decodeReport(t *testing.T, s string) *report.Report {
	t.Helper()
	r, err := report.Decode([]byte(s), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// largeBodyServer answers every request with a body of size bytes.
func largeBodyServer(t *testing.T, size int) *countingServer {
	s := &countingServer{}
	body := bytes.Repeat([]byte("b"), size)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

// bodySizes returns the body length of every result in a results file.
func bodySizes(t *testing.T, path string) []int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(f)
	var out []int
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		out = append(out, len(r.Body))
	}
}

// TestBodiesCapped runs against a server with 64 KiB bodies: results.bin
// keeps 4096 bytes of each by default, load.maxBody bytes when set, the
// whole body with -1.
func TestBodiesCapped(t *testing.T) {
	t.Parallel()
	const size = 64 << 10
	srv := largeBodyServer(t, size)
	for _, tc := range []struct {
		load string
		want int
	}{
		{"{rate: 20/s, duration: 1s}", 4096},
		{"{rate: 20/s, duration: 1s, maxBody: 100}", 100},
		{"{rate: 20/s, duration: 1s, maxBody: -1}", size},
	} {
		t.Run(tc.load, func(t *testing.T) {
			res, r, dir := runScenario(t, scenarioFile(t, srv.URL, tc.load, ""))
			if res.code != report.ExitOK || r.Summary.Successes == 0 {
				t.Fatalf("exit %d, %d successes\n%s", res.code, r.Summary.Successes, res.stderr)
			}
			sizes := bodySizes(t, filepath.Join(dir, "results.bin"))
			if uint64(len(sizes)) != r.Summary.Requests {
				t.Fatalf("results.bin holds %d results, the report counts %d", len(sizes), r.Summary.Requests)
			}
			for i, n := range sizes {
				if n != tc.want {
					t.Fatalf("result %d keeps %d bytes of body, want %d", i+1, n, tc.want)
				}
			}
		})
	}
}
