# The docker/metadata-action pattern: an empty "docker-metadata-action" target, filled by the
# JSON file the action writes (metadata-action.json here), inherited by the real target.
target "docker-metadata-action" {}

target "build" {
  inherits   = ["docker-metadata-action"]
  context    = "ctx"
  dockerfile = "Dockerfile.args"
  platforms  = ["linux/amd64", "linux/arm64"]
}
