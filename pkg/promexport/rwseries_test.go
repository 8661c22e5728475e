package promexport

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/prompb"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// seriesKey names a series as the text format would: name{a="1",b="2"},
// labels in the order the request has them.
func seriesKey(ls []prompb.Label) string {
	var name string
	var rest []string
	for _, l := range ls {
		if l.Name == "__name__" {
			name = l.Value
			continue
		}
		rest = append(rest, l.Name+"="+`"`+l.Value+`"`)
	}
	return name + "{" + strings.Join(rest, ",") + "}"
}

// values maps every series of req to its one sample's value, checking
// that each has one sample at ts and sorted labels.
func values(t *testing.T, req *prompb.WriteRequest, ts int64) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, s := range req.Timeseries {
		k := seriesKey(s.Labels)
		if !sort.SliceIsSorted(s.Labels, func(i, j int) bool { return s.Labels[i].Name < s.Labels[j].Name }) {
			t.Errorf("%s: labels not sorted by name: %v", k, s.Labels)
		}
		if len(s.Samples) != 1 || s.Samples[0].Timestamp != ts {
			t.Errorf("%s: samples %v, want one at %d", k, s.Samples, ts)
			continue
		}
		if _, dup := out[k]; dup {
			t.Errorf("%s: sent twice", k)
		}
		out[k] = s.Samples[0].Value
	}
	return out
}

func TestWriteRequestConvertsEveryType(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "c_total", Help: "a counter"}, []string{"z", "a"})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "g", Help: "a gauge"})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "h_seconds", Help: "a histogram", Buckets: []float64{0.005, 0.1, 1}})
	s := prometheus.NewSummary(prometheus.SummaryOpts{Name: "s", Help: "a summary", Objectives: map[float64]float64{0.5: 0.01}})
	reg.MustRegister(c, g, h, s)
	c.WithLabelValues("last", "first").Add(3)
	g.Set(-2.5)
	for _, v := range []float64{0.001, 0.05, 0.05, 2} {
		h.Observe(v)
	}
	s.Observe(4)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	const ts = 1_700_000_000_123
	req := writeRequest(mfs, ts)
	got := values(t, req, ts)
	want := map[string]float64{
		`c_total{a="first",z="last"}`:  3,
		`g{}`:                          -2.5,
		`h_seconds_bucket{le="0.005"}`: 1,
		`h_seconds_bucket{le="0.1"}`:   3,
		`h_seconds_bucket{le="1"}`:     3,
		`h_seconds_bucket{le="+Inf"}`:  4,
		`h_seconds_sum{}`:              2.101,
		`h_seconds_count{}`:            4,
		`s{quantile="0.5"}`:            4,
		`s_sum{}`:                      4,
		`s_count{}`:                    1,
	}
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: not sent", k)
		} else if diff := g - v; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s = %g, want %g", k, g, v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d series sent, want %d: %v", len(got), len(want), got)
	}
	types := map[string]prompb.MetricMetadata_MetricType{}
	for _, m := range req.Metadata {
		types[m.MetricFamilyName] = m.Type
	}
	for name, typ := range map[string]prompb.MetricMetadata_MetricType{
		"c_total": prompb.MetricMetadata_COUNTER, "g": prompb.MetricMetadata_GAUGE,
		"h_seconds": prompb.MetricMetadata_HISTOGRAM, "s": prompb.MetricMetadata_SUMMARY,
	} {
		if types[name] != typ {
			t.Errorf("metadata of %s: type %v, want %v", name, types[name], typ)
		}
	}
}

// The Exporter's latency histogram, native buckets and all, goes out as
// its classic buckets; the load's collected gauges go too.
func TestWriteRequestOfTheExporter(t *testing.T) {
	e := New()
	o := e.Observe("web")
	o.Result(&vegeta.Result{Attack: "get", Code: 200, Latency: 3 * time.Millisecond})
	o.Result(&vegeta.Result{Attack: "get", Code: 503, Latency: 40 * time.Millisecond, Error: "503 Service Unavailable"})
	mfs, err := e.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := values(t, writeRequest(mfs, 1), 1)
	for k, v := range map[string]float64{
		`drill_requests_total{code="200",request="get",scenario="web"}`:                      1,
		`drill_requests_total{code="503",request="get",scenario="web"}`:                      1,
		`drill_request_failures_total{class="http",code="503",request="get",scenario="web"}`: 1,
		`drill_request_duration_seconds_bucket{le="0.0025",request="get",scenario="web"}`:    0,
		`drill_request_duration_seconds_bucket{le="0.005",request="get",scenario="web"}`:     1,
		`drill_request_duration_seconds_bucket{le="0.05",request="get",scenario="web"}`:      2,
		`drill_request_duration_seconds_bucket{le="+Inf",request="get",scenario="web"}`:      2,
		`drill_request_duration_seconds_count{request="get",scenario="web"}`:                 2,
	} {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %g (sent %v), want %g", k, g, ok, v)
		}
	}
	buckets := 0
	for k := range got {
		if strings.HasPrefix(k, "drill_request_duration_seconds_bucket{") {
			buckets++
		}
		if strings.HasPrefix(k, "drill_request_duration_seconds{") {
			t.Errorf("%s: a histogram sent without a suffix", k)
		}
	}
	if want := len(LatencyBuckets()) + 1; buckets != want {
		t.Errorf("%d bucket series, want %d (the classic buckets and +Inf)", buckets, want)
	}
}

func TestFormatFloatIsTheTextFormats(t *testing.T) {
	for v, want := range map[float64]string{0.001: "0.001", 30: "30", 2.5: "2.5", 1e-05: "1e-05"} {
		if got := formatFloat(v); got != want {
			t.Errorf("formatFloat(%g) = %q, want %q", v, got, want)
		}
	}
}
