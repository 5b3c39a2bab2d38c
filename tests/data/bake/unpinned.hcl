# VERSION declared with an empty default: buildorch fills the variable, tags included.
variable "VERSION" {
  default = ""
}

target "app" {
  context    = "ctx"
  dockerfile = "Dockerfile.args"
  args = {
    VERSION = VERSION
  }
  tags = ["example/app:${VERSION}"]
}
