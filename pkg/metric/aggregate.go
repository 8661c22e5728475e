package metric

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Aggregate reads results in vegeta's gob encoding (a results.bin written
// during a run, or `vegeta attack` output) and returns their Summary. With a
// zero opts.Start the timeline starts at the first result in the stream. A
// stream cut short (a run that was killed mid-write) yields the summary of
// its complete results together with an error wrapping io.ErrUnexpectedEOF.
// Every result is also passed to each of also, in the same pass.
func Aggregate(r io.Reader, opts Options, also ...func(*vegeta.Result)) (Summary, error) {
	rec := New(opts)
	err := Each(r, func(res *vegeta.Result) {
		rec.Add(res)
		for _, fn := range also {
			fn(res)
		}
	})
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Summary{}, err
	}
	return rec.Summary(), err
}

// Each decodes results in vegeta's gob encoding and passes each to fn,
// which must not keep it (the next result is decoded into the same
// value). A stream cut short is an error wrapping io.ErrUnexpectedEOF,
// after every complete result was passed on.
func Each(r io.Reader, fn func(*vegeta.Result)) error {
	dec := vegeta.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	var res vegeta.Result
	for n := 0; ; n++ {
		reset(&res)
		err := dec.Decode(&res)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("read results: stream cut short after %d results: %w", n, err)
		}
		if err != nil {
			return fmt.Errorf("read results: result %d: %w; is this a results.bin from drill or vegeta?", n+1, err)
		}
		fn(&res)
	}
}

// reset zeroes a result for the next decode, keeping its header map and body
// buffer: gob leaves fields absent from the stream (zero values) untouched
// and decodes maps and slices into what is there. The Recorder keeps neither.
func reset(r *vegeta.Result) {
	h, body := r.Headers, r.Body[:0]
	clear(h)
	*r = vegeta.Result{Headers: h, Body: body}
}
