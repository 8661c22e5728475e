package agent

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(Handler(New(Config{Node: "n1", KubeProxyMetrics: "off"}), slog.New(slog.DiscardHandler)))
	defer srv.Close()
	for _, tc := range []struct {
		name, path string
		status     int
		check      func(t *testing.T, body []byte)
	}{
		{"health", HealthPath, http.StatusOK, nil},
		{"unknown part", Path + "?parts=conntrack,bogus", http.StatusBadRequest, nil},
		{"selected parts only", Path + "?parts=kubeproxy", http.StatusOK, func(t *testing.T, body []byte) {
			var st State
			if err := json.Unmarshal(body, &st); err != nil {
				t.Fatal(err)
			}
			if st.Node != "n1" || st.Time.IsZero() {
				t.Errorf("node %q time %v", st.Node, st.Time)
			}
			if st.KubeProxy.Available || st.KubeProxy.Reason != "disabled (--kube-proxy-metrics off)" {
				t.Errorf("kube-proxy: %+v", st.KubeProxy)
			}
			for name, p := range map[string]Part{"conntrack": st.Conntrack.Part, "iptables": st.IPTables.Part, "nftables": st.NFTables.Part, "ipvs": st.IPVS.Part} {
				if p.Available || p.Reason != notRequested {
					t.Errorf("%s: %+v, want not requested", name, p)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.check != nil {
				tc.check(t, body)
			}
		})
	}
}
