// Command app is buildorch's demo payload: a small HTTP server with a JSON
// API, a health check and Prometheus metrics, built into a FROM scratch image.
package main

import (
	"context"
	"fmt"
	"os"

	// Embed the time zone database so TZ works in a FROM scratch image.
	_ "time/tzdata"
)

// Version is the application version, set at build time with
// -ldflags "-X main.Version=...".
var Version = "dev"

// BuildTime is the build timestamp, set at build time with
// -ldflags "-X main.BuildTime=...".
var BuildTime = "unknown"

func main() {
	if err := run(context.Background(), os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "app: %v\n", err)
		os.Exit(1)
	}
}
