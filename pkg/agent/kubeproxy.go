package agent

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultKubeProxyMetrics is kube-proxy's default metrics endpoint on its
// node (--metrics-bind-address 127.0.0.1:10249).
const DefaultKubeProxyMetrics = "http://127.0.0.1:10249"

// collectKubeProxy reads kube-proxy's metrics and proxy mode from base.
func collectKubeProxy(ctx context.Context, hc *http.Client, base string) KubeProxy {
	kp := KubeProxy{URL: base + "/metrics"}
	body, err := get(ctx, hc, kp.URL)
	if err != nil {
		kp.Reason = "kube-proxy metrics not reachable: " + err.Error()
		return kp
	}
	if err := ParseKubeProxyMetrics(body, &kp); err != nil {
		kp.Reason = err.Error()
		return kp
	}
	kp.Available = true
	if mode, err := get(ctx, hc, base+"/proxyMode"); err == nil {
		kp.Mode = strings.TrimSpace(mode)
	}
	return kp
}

func get(ctx context.Context, hc *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), nil
}

// ParseKubeProxyMetrics fills kp's sync fields from kube-proxy's metrics in
// the Prometheus text format. Current kube-proxy labels its sync metrics
// with ip_family; the IPv4 series are read when present, else the
// unlabelled ones, else the IPv6 ones. It is an error when the sync
// metrics are missing (not kube-proxy, or a version without them).
func ParseKubeProxyMetrics(text string, kp *KubeProxy) error {
	// values[family][name]; family "" for an unlabelled series.
	values := map[string]map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || !strings.HasPrefix(line, "kubeproxy_sync_proxy_rules_") {
			continue
		}
		series, val, ok := cutLast(line)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		name, labels, _ := strings.Cut(series, "{")
		family := ""
		if labels != "" {
			for _, l := range strings.Split(strings.TrimSuffix(labels, "}"), ",") {
				k, lv, _ := strings.Cut(l, "=")
				switch k {
				case "ip_family":
					family = strings.Trim(lv, `"`)
				default:
					name = "" // other labels (buckets, tables): not read here
				}
			}
		}
		if name == "" {
			continue
		}
		if values[family] == nil {
			values[family] = map[string]float64{}
		}
		values[family][name] = v
	}
	var m map[string]float64
	for _, f := range []string{"IPv4", "", "IPv6"} {
		if v, ok := values[f]; ok {
			if _, has := v["kubeproxy_sync_proxy_rules_duration_seconds_count"]; has {
				m = v
				break
			}
		}
	}
	if m == nil && strings.Contains(text, "\nkubeproxy_") {
		return fmt.Errorf("kube-proxy at %s has not reported a rules sync yet", kp.URL)
	}
	if m == nil {
		return fmt.Errorf("no kubeproxy_sync_proxy_rules metrics at %s: is kube-proxy serving its metrics there? (set the agent's --kube-proxy-metrics)", kp.URL)
	}
	if v := m["kubeproxy_sync_proxy_rules_last_timestamp_seconds"]; v > 0 {
		t := unixFloat(v)
		kp.LastSync = &t
	}
	if v := m["kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds"]; v > 0 {
		t := unixFloat(v)
		kp.LastQueued = &t
	}
	kp.Syncs = uint64(m["kubeproxy_sync_proxy_rules_duration_seconds_count"])
	kp.SyncSeconds = m["kubeproxy_sync_proxy_rules_duration_seconds_sum"]
	kp.PendingChanges = uint64(values[""]["kubeproxy_sync_proxy_rules_endpoint_changes_pending"] + values[""]["kubeproxy_sync_proxy_rules_service_changes_pending"])
	return nil
}

// cutLast splits a metric line into its series and its value (an optional
// timestamp after the value is dropped).
func cutLast(line string) (series, value string, ok bool) {
	i := strings.LastIndex(line, "}")
	if i < 0 {
		i = 0
	}
	f := strings.Fields(line[i:])
	if i == 0 {
		if len(f) < 2 {
			return "", "", false
		}
		return f[0], f[1], true
	}
	if len(f) < 2 {
		return "", "", false
	}
	return line[:i+1], f[1], true
}

func unixFloat(v float64) time.Time {
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}
