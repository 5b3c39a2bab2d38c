package main

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// durationBuckets are the upper bounds, in seconds, of the request
// duration histogram (Prometheus client defaults).
var durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

type requestKey struct{ method, path, status string }

type durationKey struct{ method, path string }

type histogram struct {
	counts []uint64 // per bucket, not cumulative; len(durationBuckets)+1 (+Inf)
	sum    float64
	count  uint64
}

// Metrics counts HTTP requests and their latencies and renders them in the
// Prometheus text exposition format. It is safe for concurrent use; create
// one with NewMetrics.
type Metrics struct {
	mu        sync.Mutex
	requests  map[requestKey]uint64
	durations map[durationKey]*histogram
}

// NewMetrics returns an empty Metrics.
func NewMetrics() *Metrics {
	return &Metrics{
		requests:  make(map[requestKey]uint64),
		durations: make(map[durationKey]*histogram),
	}
}

// Observe records one request. path should already be a bounded route
// label (see routeLabel); unknown methods are folded into "OTHER".
func (m *Metrics) Observe(method, path string, status int, d time.Duration) {
	method = methodLabel(method)
	secs := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{method, path, strconv.Itoa(status)}]++
	dk := durationKey{method, path}
	h := m.durations[dk]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(durationBuckets)+1)}
		m.durations[dk] = h
	}
	i, _ := slices.BinarySearch(durationBuckets, secs) // first bound >= secs
	h.counts[i]++
	h.sum += secs
	h.count++
}

// WritePrometheus writes all metrics, plus an app_build_info gauge describing info,
// to w in the Prometheus text exposition format (version 0.0.4).
func (m *Metrics) WritePrometheus(w io.Writer, info BuildInfo) (int64, error) {
	var b bytes.Buffer

	b.WriteString("# HELP app_build_info Build information about the running binary.\n")
	b.WriteString("# TYPE app_build_info gauge\n")
	fmt.Fprintf(&b, "app_build_info{version=%s,build_time=%s,go_version=%s} 1\n",
		quote(info.Version), quote(info.BuildTime), quote(runtime.Version()))

	m.mu.Lock()
	reqKeys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		reqKeys = append(reqKeys, k)
	}
	slices.SortFunc(reqKeys, func(a, b requestKey) int {
		return cmp.Or(cmp.Compare(a.path, b.path), cmp.Compare(a.method, b.method), cmp.Compare(a.status, b.status))
	})
	b.WriteString("# HELP http_requests_total Total number of HTTP requests.\n")
	b.WriteString("# TYPE http_requests_total counter\n")
	for _, k := range reqKeys {
		fmt.Fprintf(&b, "http_requests_total{method=%s,path=%s,status=%s} %d\n",
			quote(k.method), quote(k.path), quote(k.status), m.requests[k])
	}

	durKeys := make([]durationKey, 0, len(m.durations))
	for k := range m.durations {
		durKeys = append(durKeys, k)
	}
	slices.SortFunc(durKeys, func(a, b durationKey) int {
		return cmp.Or(cmp.Compare(a.path, b.path), cmp.Compare(a.method, b.method))
	})
	b.WriteString("# HELP http_request_duration_seconds HTTP request latency in seconds.\n")
	b.WriteString("# TYPE http_request_duration_seconds histogram\n")
	for _, k := range durKeys {
		h := m.durations[k]
		labels := fmt.Sprintf("method=%s,path=%s", quote(k.method), quote(k.path))
		var cum uint64
		for i, c := range h.counts {
			cum += c
			le := "+Inf"
			if i < len(durationBuckets) {
				le = formatFloat(durationBuckets[i])
			}
			fmt.Fprintf(&b, "http_request_duration_seconds_bucket{%s,le=%q} %d\n", labels, le, cum)
		}
		fmt.Fprintf(&b, "http_request_duration_seconds_sum{%s} %s\n", labels, formatFloat(h.sum))
		fmt.Fprintf(&b, "http_request_duration_seconds_count{%s} %d\n", labels, h.count)
	}
	m.mu.Unlock()

	return b.WriteTo(w)
}

// methodLabel keeps the method label bounded: standard methods pass
// through, anything else becomes "OTHER".
func methodLabel(method string) string {
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE":
		return method
	}
	return "OTHER"
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// quote renders a label value: double-quoted, with \, " and newline escaped.
func quote(s string) string { return `"` + labelEscaper.Replace(s) + `"` }

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
