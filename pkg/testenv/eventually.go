package testenv

import (
	"testing"
	"time"
)

// Eventually calls cond every interval until it reports done, and fails
// the test naming what it waited for, and cond's last word, when timeout
// passes first.
func Eventually(t testing.TB, timeout, interval time.Duration, what string, cond func() (done bool, last string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, last := cond()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s (last: %s)", what, timeout, last)
		}
		time.Sleep(interval)
	}
}
