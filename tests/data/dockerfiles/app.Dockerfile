# buildorch demo payload: multi-stage, cross-compiling build.
#
#   builder  compiles on the BUILD platform (native speed, no QEMU) and
#            cross-compiles for TARGETOS/TARGETARCH with CGO off.
#   test     runs go test in the builder stage (docker buildx build --target test).
#   runtime  FROM scratch: CA certificates and one static binary (default target).
#
# No "# syntax=" line on purpose: it makes BuildKit pull a frontend image.

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS builder
WORKDIR /src
# Dependencies first, so source edits do not invalidate this layer.
# (Standard library only today: go.sum may not exist, hence the glob.)
COPY go.mod go.sum* ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
# Declared as late as possible: changing them re-runs only the build step.
ARG TARGETOS TARGETARCH VERSION=dev BUILD_TIME=unknown
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.Version=${VERSION} -X main.BuildTime=${BUILD_TIME}" \
      -o /build/main .

FROM builder AS test
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go test ./...

FROM scratch AS runtime
ARG VERSION=dev
ARG BUILD_TIME=unknown
ARG SOURCE=https://github.com/buildorch/buildorch
LABEL org.opencontainers.image.title="buildorch-app" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${BUILD_TIME}" \
      org.opencontainers.image.source="${SOURCE}"
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=builder /build/main /app
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 \
    CMD ["/app", "-healthcheck"]
ENTRYPOINT ["/app"]
