package run

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCleanupContext(t *testing.T) {
	ended := func(t *testing.T, c context.Context) error {
		t.Helper()
		select {
		case <-c.Done():
			return context.Cause(c)
		case <-time.After(time.Minute):
			t.Fatal("the cleanup context did not end")
			return nil
		}
	}
	t.Run("outlives the interruption", func(t *testing.T) {
		parent, cancelParent := context.WithCancel(context.Background())
		cancelParent()
		c, cancel := cleanupContext(parent, nil, "delete", time.Hour)
		defer cancel()
		if c.Err() != nil {
			t.Fatalf("a cancelled run cancels its cleanup: %v", c.Err())
		}
	})
	t.Run("bounded by its timeout", func(t *testing.T) {
		c, cancel := cleanupContext(context.Background(), make(chan struct{}), "delete", 10*time.Millisecond)
		defer cancel()
		if err := ended(t, c); err == nil || err.Error() != "timeouts.delete (10ms) ran out" {
			t.Errorf("cause %v, want timeouts.delete named", err)
		}
	})
	t.Run("a second interrupt", func(t *testing.T) {
		insist := make(chan struct{})
		c, cancel := cleanupContext(context.Background(), insist, "recover", time.Hour)
		defer cancel()
		close(insist)
		if err := ended(t, c); !errors.Is(err, errInsisted) {
			t.Errorf("cause %v, want %v", err, errInsisted)
		}
	})
	t.Run("after a second interrupt", func(t *testing.T) {
		insist := make(chan struct{})
		close(insist)
		c, cancel := cleanupContext(context.Background(), insist, "delete", time.Hour)
		defer cancel()
		if err := ended(t, c); !errors.Is(err, errInsisted) {
			t.Errorf("cause %v, want %v", err, errInsisted)
		}
	})
}
