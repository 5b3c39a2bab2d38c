package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

func newTestServer(t *testing.T) (http.Handler, *Metrics, *strings.Builder) {
	t.Helper()
	var logs strings.Builder
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	m := NewMetrics()
	info := BuildInfo{Version: "1.2.3", BuildTime: "2026-01-01T00:00:00Z", Hostname: "testhost"}
	return NewServer(logger, m, info), m, &logs
}

func do(h http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

func TestHealth(t *testing.T) {
	h, _, _ := newTestServer(t)
	rec := do(h, http.MethodGet, "/health")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var body map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body["status"] != "ok" {
		t.Errorf("body = %v, want status ok", body)
	}
}

func TestAPI(t *testing.T) {
	h, _, _ := newTestServer(t)
	rec := do(h, http.MethodGet, "/api")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	var body apiResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	want := apiResponse{
		Message:   "Hello from buildorch!",
		Version:   "1.2.3",
		BuildTime: "2026-01-01T00:00:00Z",
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
		Hostname:  "testhost",
		Time:      body.Time,
	}
	if body != want {
		t.Errorf("body = %+v, want %+v", body, want)
	}
	if _, err := time.Parse(time.RFC3339, body.Time); err != nil {
		t.Errorf("time %q is not RFC 3339: %v", body.Time, err)
	}
}

func TestAPITime(t *testing.T) {
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := httptest.NewRecorder()
	handleAPI(BuildInfo{}, func() time.Time { return fixed }).ServeHTTP(rec, httptest.NewRequest("GET", "/api", nil))
	var body apiResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Time != "2026-01-02T03:04:05Z" {
		t.Errorf("time = %q", body.Time)
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	h, _, _ := newTestServer(t)
	if rec := do(h, http.MethodGet, "/nope"); rec.Code != http.StatusNotFound {
		t.Errorf("GET /nope status = %d, want 404", rec.Code)
	}
	if rec := do(h, http.MethodPost, "/api"); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /api status = %d, want 405", rec.Code)
	}
}

func TestRequestLog(t *testing.T) {
	h, _, logs := newTestServer(t)
	do(h, http.MethodGet, "/health")
	line := strings.TrimSpace(logs.String())
	if strings.Contains(line, "\n") {
		t.Fatalf("want one log line, got %q", line)
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(line), &entry); err != nil {
		t.Fatalf("log line is not JSON: %v: %q", err, line)
	}
	if entry["method"] != "GET" || entry["path"] != "/health" || entry["status"] != float64(200) {
		t.Errorf("log entry = %v", entry)
	}
	if _, ok := entry["duration_ms"].(float64); !ok {
		t.Errorf("log entry has no numeric duration_ms: %v", entry)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	h, _, _ := newTestServer(t)
	do(h, http.MethodGet, "/health")
	do(h, http.MethodGet, "/health")
	do(h, http.MethodGet, "/api")
	do(h, http.MethodGet, "/random/path/1")
	do(h, http.MethodGet, "/random/path/2")
	do(h, "BREW", "/api")

	rec := do(h, http.MethodGet, "/metrics")
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type = %q", ct)
	}
	body, _ := io.ReadAll(rec.Body)
	text := string(body)
	for _, want := range []string{
		"# TYPE http_requests_total counter\n",
		`http_requests_total{method="GET",path="/health",status="200"} 2` + "\n",
		`http_requests_total{method="GET",path="/api",status="200"} 1` + "\n",
		`http_requests_total{method="GET",path="other",status="404"} 2` + "\n",
		`http_requests_total{method="OTHER",path="/api",status="405"} 1` + "\n",
		"# TYPE http_request_duration_seconds histogram\n",
		`http_request_duration_seconds_bucket{method="GET",path="/health",le="+Inf"} 2` + "\n",
		`http_request_duration_seconds_count{method="GET",path="/health"} 2` + "\n",
		`http_request_duration_seconds_sum{method="GET",path="/health"} `,
		`app_build_info{version="1.2.3",build_time="2026-01-01T00:00:00Z",go_version="` + runtime.Version() + `"} 1` + "\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "/random") {
		t.Errorf("unknown paths leaked into labels:\n%s", text)
	}
}
