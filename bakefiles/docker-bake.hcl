# buildorch's bake definition for the demo app (app/).
#
# Works with plain buildx, from the repository root:
#   docker buildx bake -f bakefiles/docker-bake.hcl            # group "default"
#   docker buildx bake -f bakefiles/docker-bake.hcl release    # group "release"
#   VERSION=1.2.3 docker buildx bake -f bakefiles/docker-bake.hcl --print
# and through buildorch, which adds VERSION/BUILD_TIME from git and a local
# cache per target:
#   buildorch bake [-f bakefiles/docker-bake.hcl] [TARGET|GROUP ...]
#
# bake resolves "context" against the directory it runs in, not against this
# file; run it from the repository root (or override: --set *.context=DIR).
# No "# syntax=" in the Dockerfiles and no pulls: the base images are local.

variable "VERSION" {
  default = "0.0.0-dev"
}

variable "BUILD_TIME" {
  default = ""
}

# Comma-separated, as buildx's --platform takes them.
variable "PLATFORMS" {
  default = "linux/amd64,linux/arm64"
}

variable "REGISTRY" {
  default = "localhost:5000"
}

# default: what a developer builds and checks on every change; nothing leaves
# the build cache except the runtime image, which stays in the cache too when
# two platforms are built (the docker driver loads nothing by default).
group "default" {
  targets = ["app", "app-test"]
}

# release: the images that get tagged and pushed (--push), plus the
# single-stage image kept for size/speed comparison.
group "release" {
  targets = ["app", "app-single"]
}

# Shared by every target: where the sources are and the version args.
target "_common" {
  context = "app"
  args = {
    VERSION    = VERSION
    BUILD_TIME = BUILD_TIME
  }
}

# The shipped image: the FROM scratch runtime stage, for every platform.
target "app" {
  inherits   = ["_common"]
  dockerfile = "Dockerfile"
  target     = "runtime"
  platforms  = split(",", PLATFORMS)
  tags       = ["${REGISTRY}/buildorch-app:${VERSION}"]
}

# The single-stage comparison image (compiler under QEMU for foreign platforms).
target "app-single" {
  inherits   = ["_common"]
  dockerfile = "Dockerfile.single"
  tags       = ["${REGISTRY}/buildorch-app:${VERSION}-single"]
}

# The compile stage alone, e.g. to debug it or to load it for inspection.
target "app-builder" {
  inherits   = ["_common"]
  dockerfile = "Dockerfile"
  target     = "builder"
  tags       = ["buildorch-app-builder:${VERSION}"]
}

# go test in the builder stage; only the cache keeps its result.
target "app-test" {
  inherits   = ["_common"]
  dockerfile = "Dockerfile"
  target     = "test"
  output     = ["type=cacheonly"]
}
