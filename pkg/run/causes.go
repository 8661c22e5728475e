package run

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/drillkit/drill/pkg/cause"
	"github.com/drillkit/drill/pkg/metric"
	"github.com/drillkit/drill/pkg/report"
)

// explainFailures joins every failed request of the run's results file
// with the run's timeline (package cause): the causes of the failures and
// the lifecycle timings go into r, and the checks are judged again with
// the timings' metrics. The load balancer's failures are kept in the run
// directory, so that drill report --from-results can join them again.
func (st *runState) explainFailures(r *report.Report) {
	var balancer []cause.BalancerFailure
	logged := st.sys.attribution != nil
	if logged {
		balancer = st.sys.attribution.balancerFailures()
		if err := writeBalancer(filepath.Join(st.opts.Dir, cause.BalancerFile), balancer); err != nil {
			r.Environment.Notes = append(r.Environment.Notes, "the load balancer's failures could not be kept: "+err.Error())
		}
	}
	c := cause.New(cause.InputOf(r, balancer, logged, st.sc.Load.BackendHeader))
	f, err := os.Open(filepath.Join(st.opts.Dir, ResultsFile))
	if err == nil {
		err = metric.Each(f, c.Add)
		f.Close()
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		r.Environment.Notes = append(r.Environment.Notes, "causes of the failed requests not analysed: "+err.Error())
		return
	}
	cause.Apply(r, c)
	r.Checks = evaluate(st.sc.Exprs(), values{st.rec.Summary(), r.Sampled})
}

func writeBalancer(path string, failures []cause.BalancerFailure) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := cause.WriteBalancer(f, failures); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ExplainFromResults recomputes r's summary from the results read from
// results together with the causes of its failures and its lifecycle
// timings, in one pass; the load balancer's failures are read from dir
// when the run kept them. A stream cut short is an error wrapping
// io.ErrUnexpectedEOF, with r recomputed from the results before the cut.
// The checks are not judged again (Rejudge).
func ExplainFromResults(r *report.Report, dir string, results io.Reader, opts metric.Options) error {
	var balancer []cause.BalancerFailure
	logged := false
	if f, err := os.Open(filepath.Join(dir, cause.BalancerFile)); err == nil {
		balancer, err = cause.ReadBalancer(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("results of %s: %w", dir, err)
		}
		logged = true
	}
	c := cause.New(cause.InputOf(r, balancer, logged, opts.BackendHeader))
	s, err := metric.Aggregate(results, opts, c.Add)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	r.Summary = report.SummaryOf(s)
	cause.Apply(r, c)
	return err
}
