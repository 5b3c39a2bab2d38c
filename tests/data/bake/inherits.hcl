# A base target inherited twice, one inheriting from a real (buildable) target.
variable "TAG" {
  default = "1.0"
}

target "_base" {
  context    = "ctx"
  dockerfile = "Dockerfile"
  args = {
    GO_VERSION = "1.26"
  }
  labels = {
    "org.opencontainers.image.source" = "https://example.invalid/repo"
  }
}

target "api" {
  inherits = ["_base"]
  target   = "runtime"
  tags     = ["example/api:${TAG}"]
  cache-from = ["type=registry,ref=example/api:cache"]
  cache-to   = ["type=registry,ref=example/api:cache,mode=max"]
}

target "api-debug" {
  inherits = ["api"]
  target   = "builder"
  tags     = ["example/api:${TAG}-debug"]
  args = {
    VERSION = "pinned"
  }
  cache-from = []
  cache-to   = []
}
