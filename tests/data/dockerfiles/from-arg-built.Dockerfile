ARG REGISTRY=docker.io
ARG GO_VERSION=1.26
ARG BASE=${REGISTRY}/library/golang:${GO_VERSION}-bookworm
FROM ${BASE} AS go
FROM $REGISTRY/library/alpine:3.20 AS alpine
FROM go AS build
