#!/usr/bin/env buildkit
# syntax=docker/dockerfile:1.7
FROM scratch AS a
