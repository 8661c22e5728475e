package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a request rate: Freq requests every Per, like vegeta.Rate. The
// zero Rate (Per == 0) means "not set".
type Rate struct {
	Freq int
	Per  time.Duration
}

// IsZero reports whether the rate was not set.
func (r Rate) IsZero() bool { return r.Per == 0 }

// PerSecond returns the rate in requests per second.
func (r Rate) PerSecond() float64 {
	if r.Per <= 0 {
		return 0
	}
	return float64(r.Freq) / r.Per.Seconds()
}

// String renders the rate as it is written in a scenario: 300/s, 1000/10s.
func (r Rate) String() string {
	if r.IsZero() {
		return ""
	}
	per := ""
	switch r.Per {
	case time.Nanosecond:
		per = "ns"
	case time.Microsecond:
		per = "us"
	case time.Millisecond:
		per = "ms"
	case time.Second:
		per = "s"
	case time.Minute:
		per = "m"
	case time.Hour:
		per = "h"
	default:
		per = r.Per.String()
	}
	return strconv.Itoa(r.Freq) + "/" + per
}

// ParseRate reads FREQ/PER where FREQ is a whole number of requests and
// PER is a unit (ns, us, µs, ms, s, m, h) or a duration (10s, 1m30s).
func ParseRate(s string) (Rate, error) {
	freqStr, perStr, ok := strings.Cut(s, "/")
	if !ok {
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return Rate{}, fmt.Errorf("rate %q has no unit: write requests per unit of time, e.g. %s/s", s, s)
		}
		return Rate{}, fmt.Errorf("rate %q is not FREQ/PER: write e.g. 300/s, 5/ms or 1000/10s", s)
	}
	freqStr, perStr = strings.TrimSpace(freqStr), strings.TrimSpace(perStr)
	freq, err := strconv.Atoi(freqStr)
	if err != nil {
		if f, ferr := strconv.ParseFloat(freqStr, 64); ferr == nil && f > 0 && f < 1e9 {
			return Rate{}, fmt.Errorf("rate %q: the frequency must be a whole number of requests; write a longer period instead, e.g. %s", s, wholeHint(f, perStr))
		}
		return Rate{}, fmt.Errorf("rate %q: frequency %q is not a whole number of requests", s, freqStr)
	}
	if freq < 0 {
		return Rate{}, fmt.Errorf("rate %q is negative", s)
	}
	var per time.Duration
	switch perStr {
	case "ns":
		per = time.Nanosecond
	case "us", "µs":
		per = time.Microsecond
	case "ms":
		per = time.Millisecond
	case "s":
		per = time.Second
	case "m":
		per = time.Minute
	case "h":
		per = time.Hour
	default:
		per, err = time.ParseDuration(perStr)
		if err != nil {
			return Rate{}, fmt.Errorf("rate %q: period %q is not a unit (ms, s, m, h) or a duration (10s)", s, perStr)
		}
		if per <= 0 {
			return Rate{}, fmt.Errorf("rate %q: the period must be positive", s)
		}
	}
	return Rate{Freq: freq, Per: per}, nil
}

// wholeHint rewrites a fractional rate like 0.5/s as a whole one (1/2s).
func wholeHint(f float64, per string) string {
	d, err := time.ParseDuration(per)
	if err != nil {
		d, err = time.ParseDuration("1" + per)
	}
	if err != nil || d <= 0 {
		return "1/2s"
	}
	for _, n := range []float64{10, 100, 1000} {
		if v := f * n; v == float64(int64(v)) {
			return fmt.Sprintf("%d/%s", int64(v), time.Duration(float64(d)*n))
		}
	}
	return fmt.Sprintf("%d/%s", int64(f*1000+0.5), time.Duration(float64(d)*1000))
}

// Percent is a share written as a percentage ("95%", "0.5%") and stored as
// a fraction from 0 to 1, for action parameters such as a table fill level.
type Percent float64

var _ scalarDecoder = (*Percent)(nil)

func (p *Percent) decodeScalar(s string) error {
	num, ok := strings.CutSuffix(strings.TrimSpace(s), "%")
	if !ok {
		return fmt.Errorf("%q is not a percentage: write e.g. 95%%", s)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || f < 0 || f > 100 {
		return fmt.Errorf("%q is not a percentage from 0%% to 100%%", s)
	}
	*p = Percent(f / 100)
	return nil
}

// String renders the percentage as written: 95%.
func (p Percent) String() string {
	return strconv.FormatFloat(float64(p)*100, 'f', -1, 64) + "%"
}
