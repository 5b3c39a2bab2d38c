# timestamp() is evaluated at every --print: two prints of this file differ in "created".
variable "VERSION" {
  default = "1.0.0"
}

target "stamped" {
  context    = "ctx"
  dockerfile = "Dockerfile.args"
  args = {
    VERSION = VERSION
  }
  labels = {
    "org.opencontainers.image.created" = timestamp()
  }
  tags = ["example/stamped:${VERSION}"]
}
