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
// completes, that new connections are served (and closed) while draining and
// refused after it, and that serve then returns nil.
func TestServeGraceful(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/slow" {
			fmt.Fprint(w, "ok")
			return
		}
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
	go func() { done <- serve(ctx, srv, ln, 300*time.Millisecond, 10*time.Second) }()

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
	// Draining: a new connection is still served, and told to close.
	resp, err := http.Get("http://" + ln.Addr().String() + "/fast")
	if err != nil {
		t.Fatalf("request while draining: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Errorf("while draining: status %d, Connection: close %v; want 200 and close", resp.StatusCode, resp.Close)
	}
	select {
	case err := <-done:
		t.Fatalf("serve returned %v while a request was in flight", err)
	case <-time.After(600 * time.Millisecond):
	}
	// The drain is over and the listener closed: no new connections.
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

// TestServeKeepAliveRequestAfterSignal checks that a request written on an
// idle keep-alive connection after the signal is answered, with
// "Connection: close", not dropped with the connection (what Shutdown alone
// does to idle connections).
func TestServeKeepAliveRequestAfterSignal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	srv := newHTTPServer(h, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	done := make(chan error, 1)
	go func() { done <- serve(ctx, srv, ln, 500*time.Millisecond, 10*time.Second) }()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	get := func() (*http.Response, error) {
		if _, err := fmt.Fprintf(conn, "GET /api HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return nil, err
		}
		resp, err := http.ReadResponse(br, nil)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}
	if resp, err := get(); err != nil || resp.Close {
		t.Fatalf("first request: %v (close %v)", err, resp != nil && resp.Close)
	}
	cancel()
	time.Sleep(100 * time.Millisecond) // Shutdown alone would have closed the idle connection by now
	resp, err := get()
	if err != nil {
		t.Fatalf("request on the keep-alive connection after the signal: %v", err)
	}
	if resp.StatusCode != http.StatusOK || !resp.Close {
		t.Errorf("status %d, Connection: close %v; want 200 and close", resp.StatusCode, resp.Close)
	}
	if err := <-done; err != nil {
		t.Errorf("serve returned %v, want nil", err)
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
