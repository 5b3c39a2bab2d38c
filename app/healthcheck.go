package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

const healthcheckTimeout = 2 * time.Second

// checkHealth GETs url and returns nil only for a 200 answer. It backs the
// -healthcheck flag, which the image's HEALTHCHECK uses since a FROM scratch
// image has no shell or curl.
func checkHealth(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s returned %s", url, resp.Status)
	}
	return nil
}
