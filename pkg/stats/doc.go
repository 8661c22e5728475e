// Package stats holds the statistical tests drill uses to compare runs: the
// two-proportion z-test and Fisher's exact test for rates, the Mann-Whitney U
// test for latency distributions, and a bootstrap percentile interval for the
// difference of two quantiles. The samples are weighted (a value with a count)
// so a latency histogram with millions of requests costs one entry per bucket.
package stats
