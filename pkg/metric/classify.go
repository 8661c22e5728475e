package metric

import (
	"strconv"
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

const (
	idRefused = iota
	idReset
	idTimeout
	idEOF
	idTLS
	idHTTP
	idCancelled
	idOther
	nClasses
)

// className returns the class of a class id.
func className(id int) string {
	switch id {
	case idRefused:
		return ClassRefused
	case idReset:
		return ClassReset
	case idTimeout:
		return ClassTimeout
	case idEOF:
		return ClassEOF
	case idTLS:
		return ClassTLS
	case idHTTP:
		return ClassHTTP
	case idCancelled:
		return ClassCancelled
	}
	return ClassOther
}

// Classes returns the error classes in report order.
func Classes() []string {
	out := make([]string, nClasses)
	for i := range out {
		out[i] = className(i)
	}
	return out
}

// Classify returns the error class of a failed result: a response with a
// status code (whose error, if any, is only the status text vegeta fills in)
// is ClassHTTP; otherwise the transport error decides: connection refused,
// reset (reset by peer, broken pipe), timeout (timeouts, deadline exceeded),
// TLS (tls:, x509:), EOF (EOF, unexpected EOF, server closed the idle
// connection), cancelled (load.ErrStopped: the run stopped before the
// response) and ClassOther for anything else.
func Classify(r *vegeta.Result) string { return className(classify(r)) }

// stoppedMessage is the message of load.ErrStopped (metric does not import
// load; a test keeps the two equal).
const stoppedMessage = "drill: run stopped before the response"

func classify(r *vegeta.Result) int {
	if r.Code != 0 && (r.Error == "" || strings.HasPrefix(r.Error, strconv.Itoa(int(r.Code)))) {
		return idHTTP
	}
	e := r.Error
	// Drop the `Get "URL": ` prefix of a url.Error: the URL may contain
	// anything, "timeout" included.
	if i := strings.Index(e, "\": "); i >= 0 && strings.Contains(e[:i], " \"") {
		e = e[i+3:]
	}
	switch {
	case strings.Contains(e, stoppedMessage):
		return idCancelled
	case strings.Contains(e, "connection refused"):
		return idRefused
	case strings.Contains(e, "connection reset"), strings.Contains(e, "broken pipe"):
		return idReset
	case strings.Contains(e, "timeout"), strings.Contains(e, "Timeout"),
		strings.Contains(e, "deadline exceeded"):
		return idTimeout
	case strings.Contains(e, "tls:"), strings.Contains(e, "x509:"):
		return idTLS
	case strings.Contains(e, "EOF"), strings.Contains(e, "server closed idle connection"):
		return idEOF
	case r.Code != 0:
		return idHTTP
	}
	return idOther
}
