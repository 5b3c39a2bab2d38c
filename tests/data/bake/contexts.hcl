# Named contexts, one of them another target's result, and HCL functions.
variable "REGISTRY" {
  default = "localhost:5000"
}

variable "PLATFORMS" {
  default = "linux/amd64, linux/arm64"
}

function "image" {
  params = [name, tag]
  result = "${REGISTRY}/${lower(name)}:${tag}"
}

target "base" {
  context    = "ctx"
  dockerfile = "Dockerfile.base"
  platforms  = [for p in split(",", PLATFORMS) : trimspace(p)]
}

target "app" {
  context = "ctx"
  contexts = {
    base  = "target:base"
    certs = "ctx/certs"
  }
  dockerfile-inline = "FROM base\nCOPY --from=certs . /certs\n"
  platforms = [for p in split(",", PLATFORMS) : trimspace(p)]
  tags      = [image("Buildorch-Bake-Fixture", "1.0"), image("Buildorch-Bake-Fixture", formatdate("YYYY", "2026-11-28T00:00:00Z"))]
  secret    = ["id=token,env=HOME"]
  annotations = ["index:org.opencontainers.image.title=app"]
}
