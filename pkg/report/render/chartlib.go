package render

import (
	"bytes"
	_ "embed"
)

// The charting library of the HTML pages (uPlot, MIT: chartlib/LICENSE;
// version and checksums in chartlib/VERSION, fetched by
// scripts/fetch-chartlib.sh) and drill's own script that draws the charts
// with it.
var (
	//go:embed chartlib/uPlot.iife.min.js
	uplotJS []byte
	//go:embed chartlib/uPlot.min.css
	uplotCSS []byte
	//go:embed charts.js
	chartsJS []byte
)

// chartLibMark is where a page's template puts the chart library. It is
// replaced after the page is redacted, so that redaction cannot touch the
// library's code; no report data can spell it, since the template escapes
// every '<' of the data.
const chartLibMark = `<script data-chartlib></script>`

// chartLib is what replaces chartLibMark: the library's stylesheet and
// script, then the script that draws the charts.
var chartLib = bytes.Join([][]byte{
	[]byte("<style>"), uplotCSS, []byte("</style>\n<script>"), uplotJS, []byte("</script>\n<script>"), chartsJS, []byte("</script>"),
}, nil)

// withChartLib returns page with the chart library in place of its mark.
func withChartLib(page []byte) []byte {
	return bytes.Replace(page, []byte(chartLibMark), chartLib, 1)
}
