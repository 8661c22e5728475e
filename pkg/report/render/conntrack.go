package render

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/drillkit/drill/pkg/report"
)

// conntrackLines draws each node's conntrack table over the run as two
// sparklines on the same time axis as the request timeline (seconds long):
// its fill (count/max, the fullest sample in each character) and the new
// connections it could not take (summed per character).
func conntrackLines(series []report.ConntrackSeries, seconds int) []string {
	for _, s := range series {
		for _, p := range s.Points {
			if p.T >= 0 && p.T < maxSeconds*time.Second {
				seconds = max(seconds, int(p.T/time.Second)+1)
			}
		}
	}
	if len(series) == 0 || seconds == 0 {
		return nil
	}
	per := int(math.Ceil(float64(seconds) / sparkWidth))
	chars := (seconds + per - 1) / per
	width := 0
	for _, s := range series {
		width = max(width, len(s.Node))
	}
	var out []string
	for _, s := range series {
		fill := make([]float64, chars)
		seen := make([]bool, chars)
		drops := make([]uint64, chars)
		var limit int64
		for _, p := range s.Points {
			if p.T < 0 || p.T >= time.Duration(seconds)*time.Second {
				continue
			}
			i := int(p.T/time.Second) / per
			seen[i] = true
			if p.Max > 0 {
				fill[i] = math.Max(fill[i], float64(p.Count)/float64(p.Max))
				limit = p.Max
			}
			drops[i] += p.Drops
		}
		var most uint64
		for _, d := range drops {
			most = max(most, d)
		}
		var f, d strings.Builder
		for i := range chars {
			switch {
			case !seen[i]:
				f.WriteRune(' ')
				d.WriteRune(' ')
				continue
			case fill[i] == 0:
				f.WriteRune(sparkLevels[0])
			default:
				f.WriteRune(level(fill[i]))
			}
			if drops[i] == 0 {
				d.WriteRune('·')
			} else {
				d.WriteRune(level(float64(drops[i]) / float64(most)))
			}
		}
		name := s.Node + strings.Repeat(" ", width-len(s.Node))
		out = append(out,
			fmt.Sprintf("%s fill  |%s|  (full height = table full, %d entries)", name, f.String(), limit),
			fmt.Sprintf("%s drops |%s|  (%s)", name, d.String(), dropsLegend(most, per)))
		out = append(out, stateLines(s, name, seconds, per, chars)...)
	}
	unit := "1 char = 1s"
	if per > 1 {
		unit = fmt.Sprintf("1 char = %ds", per)
	}
	return append(out, fmt.Sprintf("%s        0s .. %ds, %s", strings.Repeat(" ", width), seconds, unit))
}

func dropsLegend(most uint64, per int) string {
	if most == 0 {
		return "· = none dropped"
	}
	in := "one second"
	if per > 1 {
		in = fmt.Sprintf("%d seconds", per)
	}
	return fmt.Sprintf("full height = %d new connections dropped in %s; · = none", most, in)
}

// maxStateLines bounds the states drawn per node (the largest first).
const maxStateLines = 4

// stateLines draws a node's largest TCP states over the run (when sampled),
// on the fill's scale: each character is the state's highest share of the
// table in that time.
func stateLines(s report.ConntrackSeries, name string, seconds, per, chars int) []string {
	type peak struct {
		state string
		n     int64
		at    time.Duration
	}
	peaks := map[string]*peak{}
	for _, p := range s.Points {
		for st, n := range p.States {
			if pk := peaks[st]; pk == nil || n > pk.n {
				peaks[st] = &peak{st, n, p.T}
			}
		}
	}
	var order []*peak
	for _, pk := range peaks {
		if pk.n > 0 {
			order = append(order, pk)
		}
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].n != order[j].n {
			return order[i].n > order[j].n
		}
		return order[i].state < order[j].state
	})
	if len(order) > maxStateLines {
		order = order[:maxStateLines]
	}
	var out []string
	for _, pk := range order {
		share := make([]float64, chars)
		seen := make([]bool, chars)
		for _, p := range s.Points {
			if p.T < 0 || p.T >= time.Duration(seconds)*time.Second || p.Max <= 0 {
				continue
			}
			i := int(p.T/time.Second) / per
			seen[i] = true
			share[i] = math.Max(share[i], float64(p.States[pk.state])/float64(p.Max))
		}
		var b strings.Builder
		for i := range chars {
			switch {
			case !seen[i]:
				b.WriteRune(' ')
			case share[i] == 0:
				b.WriteRune(sparkLevels[0])
			default:
				b.WriteRune(level(share[i]))
			}
		}
		out = append(out, fmt.Sprintf("%s %-11s |%s|  (peak %d at %ds)", name, pk.state, b.String(), pk.n, int(pk.at/time.Second)))
	}
	return out
}
