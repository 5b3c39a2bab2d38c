package main

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMetricsHistogram(t *testing.T) {
	m := NewMetrics()
	m.Observe("GET", "/api", 200, 3*time.Millisecond)   // <= 0.005
	m.Observe("GET", "/api", 200, 5*time.Millisecond)   // == 0.005, still le="0.005"
	m.Observe("GET", "/api", 200, 200*time.Millisecond) // <= 0.25
	m.Observe("GET", "/api", 500, 20*time.Second)       // +Inf only

	var b strings.Builder
	if _, err := m.WritePrometheus(&b, BuildInfo{Version: "v", BuildTime: "t"}); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	for _, want := range []string{
		`http_requests_total{method="GET",path="/api",status="200"} 3`,
		`http_requests_total{method="GET",path="/api",status="500"} 1`,
		`http_request_duration_seconds_bucket{method="GET",path="/api",le="0.005"} 2`,
		`http_request_duration_seconds_bucket{method="GET",path="/api",le="0.1"} 2`,
		`http_request_duration_seconds_bucket{method="GET",path="/api",le="0.25"} 3`,
		`http_request_duration_seconds_bucket{method="GET",path="/api",le="10"} 3`,
		`http_request_duration_seconds_bucket{method="GET",path="/api",le="+Inf"} 4`,
		`http_request_duration_seconds_sum{method="GET",path="/api"} 20.208`,
		`http_request_duration_seconds_count{method="GET",path="/api"} 4`,
	} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestMetricsFormat(t *testing.T) {
	m := NewMetrics()
	m.Observe("GET", "/health", 200, time.Millisecond)
	var b strings.Builder
	if _, err := m.WritePrometheus(&b, BuildInfo{Version: `a"b\c`}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `version="a\"b\\c"`) {
		t.Errorf("label value not escaped:\n%s", b.String())
	}
	// Every line is a comment or "name{labels} value", and every metric
	// family is preceded by its HELP and TYPE lines.
	seenType := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if strings.HasPrefix(line, "# TYPE ") {
			seenType[strings.Fields(line)[2]] = true
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		name, _, ok := strings.Cut(line, "{")
		if !ok || !strings.Contains(line, "} ") {
			t.Errorf("malformed sample line %q", line)
			continue
		}
		family := name
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			family = strings.TrimSuffix(family, suffix)
		}
		if !seenType[family] {
			t.Errorf("sample %q before its # TYPE line", line)
		}
	}
}

func TestMetricsConcurrent(t *testing.T) {
	m := NewMetrics()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				m.Observe("GET", "/api", 200, time.Millisecond)
				_, _ = m.WritePrometheus(&strings.Builder{}, BuildInfo{})
			}
		}()
	}
	wg.Wait()
	var b strings.Builder
	_, _ = m.WritePrometheus(&b, BuildInfo{})
	if !strings.Contains(b.String(), `http_requests_total{method="GET",path="/api",status="200"} 800`+"\n") {
		t.Errorf("lost updates:\n%s", b.String())
	}
}

func TestLabels(t *testing.T) {
	for in, want := range map[string]string{"/api": "/api", "/health": "/health", "/metrics": "/metrics", "/": "other", "/api/x": "other"} {
		if got := routeLabel(in); got != want {
			t.Errorf("routeLabel(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"GET": "GET", "DELETE": "DELETE", "get": "OTHER", "BREW": "OTHER"} {
		if got := methodLabel(in); got != want {
			t.Errorf("methodLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
