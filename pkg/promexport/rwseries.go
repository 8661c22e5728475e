package promexport

import (
	"math"
	"sort"
	"strconv"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/prompb"
)

// writeRequest turns gathered metric families into a Remote-Write 1.0
// request with every sample at ts (Unix milliseconds) unless the metric
// carries a timestamp of its own. Counters, gauges and untyped metrics
// give one series each; a histogram gives its classic buckets as
// NAME_bucket{le=...} (cumulative, +Inf included), NAME_sum and
// NAME_count, and a summary its quantiles, NAME_sum and NAME_count, as a
// scrape of the text format would. Native histogram buckets are not sent.
func writeRequest(families []*dto.MetricFamily, ts int64) *prompb.WriteRequest {
	req := &prompb.WriteRequest{}
	for _, f := range families {
		name := f.GetName()
		req.Metadata = append(req.Metadata, prompb.MetricMetadata{
			Type: metadataType(f.GetType()), MetricFamilyName: name, Help: f.GetHelp(),
		})
		for _, m := range f.GetMetric() {
			at := ts
			if m.TimestampMs != nil {
				at = m.GetTimestampMs()
			}
			add := func(name string, v float64, extra ...string) {
				req.Timeseries = append(req.Timeseries, prompb.TimeSeries{
					Labels:  seriesLabels(name, m.GetLabel(), extra...),
					Samples: []prompb.Sample{{Value: v, Timestamp: at}},
				})
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				add(name, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				add(name, m.GetGauge().GetValue())
			case dto.MetricType_UNTYPED:
				add(name, m.GetUntyped().GetValue())
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				h := m.GetHistogram()
				inf := false
				for _, b := range h.GetBucket() {
					inf = inf || math.IsInf(b.GetUpperBound(), 1)
					add(name+"_bucket", float64(b.GetCumulativeCount()), "le", formatFloat(b.GetUpperBound()))
				}
				if !inf {
					add(name+"_bucket", float64(h.GetSampleCount()), "le", "+Inf")
				}
				add(name+"_sum", h.GetSampleSum())
				add(name+"_count", float64(h.GetSampleCount()))
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				for _, q := range s.GetQuantile() {
					add(name, q.GetValue(), "quantile", formatFloat(q.GetQuantile()))
				}
				add(name+"_sum", s.GetSampleSum())
				add(name+"_count", float64(s.GetSampleCount()))
			}
		}
	}
	return req
}

// seriesLabels are a series' labels sorted by name, as Remote-Write
// requires: __name__, the metric's own labels and the extra name/value
// pairs (le, quantile).
func seriesLabels(name string, own []*dto.LabelPair, extra ...string) []prompb.Label {
	out := make([]prompb.Label, 0, 1+len(own)+len(extra)/2)
	out = append(out, prompb.Label{Name: "__name__", Value: name})
	for _, l := range own {
		out = append(out, prompb.Label{Name: l.GetName(), Value: l.GetValue()})
	}
	for i := 0; i+1 < len(extra); i += 2 {
		out = append(out, prompb.Label{Name: extra[i], Value: extra[i+1]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// formatFloat writes a bucket bound or quantile as the text format does.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func metadataType(t dto.MetricType) prompb.MetricMetadata_MetricType {
	switch t {
	case dto.MetricType_COUNTER:
		return prompb.MetricMetadata_COUNTER
	case dto.MetricType_GAUGE:
		return prompb.MetricMetadata_GAUGE
	case dto.MetricType_HISTOGRAM:
		return prompb.MetricMetadata_HISTOGRAM
	case dto.MetricType_GAUGE_HISTOGRAM:
		return prompb.MetricMetadata_GAUGEHISTOGRAM
	case dto.MetricType_SUMMARY:
		return prompb.MetricMetadata_SUMMARY
	}
	return prompb.MetricMetadata_UNKNOWN
}
