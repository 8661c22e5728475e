package dataplane

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

func jsonLine(rec RequestLog) ([]byte, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ReadAccessLog decodes an access log written by a LoadBalancer, calling fn
// for every record in order. It stops at the first malformed line, naming it.
func ReadAccessLog(r io.Reader, fn func(RequestLog) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var rec RequestLog
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return fmt.Errorf("access log line %d: %w", line, err)
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	return sc.Err()
}
