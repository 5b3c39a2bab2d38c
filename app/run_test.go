package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRunVersion(t *testing.T) {
	var out strings.Builder
	err := run(context.Background(), []string{"-version"}, func(string) string { return "" }, &out)
	if err != nil {
		t.Fatalf("run -version: %v", err)
	}
	first, _, _ := strings.Cut(out.String(), "\n")
	if first != Version {
		t.Errorf("first line = %q, want %q (full output %q)", first, Version, out.String())
	}
}

func TestRunBadFlag(t *testing.T) {
	if err := run(context.Background(), []string{"-nope"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("run -nope: want error")
	}
	if err := run(context.Background(), []string{"extra"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("run extra: want error")
	}
}

func TestRunHealthcheckFailsWithoutServer(t *testing.T) {
	port := freePort(t)
	getenv := func(k string) string {
		if k == "PORT" {
			return port
		}
		return ""
	}
	if err := run(context.Background(), []string{"-healthcheck"}, getenv, io.Discard); err == nil {
		t.Error("-healthcheck with no server: want error")
	}
}

// TestRun starts the real server, exercises it over TCP, checks
// -healthcheck against it, then cancels ctx and expects a graceful nil.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	port := freePort(t)
	getenv := func(k string) string {
		if k == "PORT" {
			return port
		}
		return ""
	}
	pr, pw := io.Pipe()
	logs := newLineCollector(pr)

	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, getenv, pw)
		pw.Close()
	}()

	base := "http://127.0.0.1:" + port
	waitForHealthy(t, base+"/health", done)

	resp, err := http.Get(base + "/api")
	if err != nil {
		t.Fatal(err)
	}
	var body apiResponse
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if body.Version != Version || body.BuildTime != BuildTime {
		t.Errorf("/api = %+v, want version %q build_time %q", body, Version, BuildTime)
	}

	if err := run(ctx, []string{"-healthcheck"}, getenv, io.Discard); err != nil {
		t.Errorf("-healthcheck against running server: %v", err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v, want nil after graceful shutdown", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after cancel")
	}

	<-logs.done
	var sawRequest, sawStopped bool
	for _, line := range logs.lines() {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Errorf("non-JSON log line %q", line)
			continue
		}
		if entry["msg"] == "request" && entry["path"] == "/api" && entry["status"] == float64(200) {
			sawRequest = true
		}
		if entry["msg"] == "stopped" {
			sawStopped = true
		}
	}
	if !sawRequest || !sawStopped {
		t.Errorf("logs lack the /api request or the stop line:\n%s", strings.Join(logs.lines(), "\n"))
	}
}

// TestServeGraceful checks that a request in flight when ctx is cancelled
// completes, and that serve then returns nil.
func TestServeGraceful(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		fmt.Fprint(w, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := newHTTPServer(h, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	done := make(chan error, 1)
	go func() { done <- serve(ctx, srv, ln, 10*time.Second) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()

	<-entered
	cancel()
	select {
	case err := <-done:
		t.Fatalf("serve returned %v while a request was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	// The listener is closed: no new connections during shutdown.
	if c, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Error("listener still accepting during shutdown")
	}
	close(release)

	if r := <-got; r.err != nil || r.body != "done" {
		t.Errorf("in-flight request: body %q, err %v", r.body, r.err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after the in-flight request finished")
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

func waitForHealthy(t *testing.T, url string, done <-chan error) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("run exited early: %v", err)
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s not healthy within 10s", url)
}

// lineCollector gathers log lines from a reader until it is closed.
type lineCollector struct {
	mu   sync.Mutex
	buf  []string
	done chan struct{}
}

func newLineCollector(r io.Reader) *lineCollector {
	c := &lineCollector{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			c.mu.Lock()
			c.buf = append(c.buf, sc.Text())
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *lineCollector) lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.buf...)
}
