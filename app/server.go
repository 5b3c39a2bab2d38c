package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime"
	"time"
)

// BuildInfo describes the running binary and host; /api reports it.
type BuildInfo struct {
	// Version is the application version (main.Version).
	Version string
	// BuildTime is the build timestamp (main.BuildTime).
	BuildTime string
	// Hostname is the host (in a container, the container ID) serving requests.
	Hostname string
}

// NewServer returns the application's HTTP handler: every route is
// registered here, wrapped in logging and metrics middleware.
func NewServer(logger *slog.Logger, metrics *Metrics, info BuildInfo) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /api", handleAPI(info, time.Now))
	mux.Handle("GET /health", handleHealth())
	mux.Handle("GET /metrics", handleMetrics(metrics, info))
	return instrument(mux, logger, metrics)
}

// routeLabel maps a request path to a bounded metrics label: a known route,
// or "other".
func routeLabel(path string) string {
	switch path {
	case "/api", "/health", "/metrics":
		return path
	}
	return "other"
}

type apiResponse struct {
	Message   string `json:"message"`
	Version   string `json:"version"`
	BuildTime string `json:"build_time"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
	Hostname  string `json:"hostname"`
	Time      string `json:"time"`
}

func handleAPI(info BuildInfo, now func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, apiResponse{
			Message:   "Hello from buildorch!",
			Version:   info.Version,
			BuildTime: info.BuildTime,
			GoVersion: runtime.Version(),
			Platform:  runtime.GOOS + "/" + runtime.GOARCH,
			Hostname:  info.Hostname,
			Time:      now().Format(time.RFC3339),
		})
	})
}

func handleHealth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

func handleMetrics(m *Metrics, info BuildInfo) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = m.WritePrometheus(w, info)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
