package agent

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
)

// Handler serves the collector's State as JSON on Path (query parts=a,b
// selects parts) and 200 on HealthPath. Collections are serialized: a node
// agent read by several drills at once runs one collection at a time.
func Handler(c *Collector, log *slog.Logger) http.Handler {
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+HealthPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET "+Path, func(w http.ResponseWriter, r *http.Request) {
		parts, err := ParseParts(r.URL.Query().Get("parts"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		st := c.Collect(r.Context(), parts...)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(st); err != nil {
			log.Warn("write state", "err", err)
		}
	})
	return mux
}
