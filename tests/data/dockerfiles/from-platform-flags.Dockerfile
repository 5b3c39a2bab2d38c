FROM --platform=$BUILDPLATFORM scratch AS a
FROM --platform=linux/arm64 scratch AS b
FROM --platform=${TARGETPLATFORM:-linux/amd64} scratch AS c
FROM --platform= scratch AS d
FROM --platform="linux/amd64" scratch AS e
FROM -- scratch AS f
