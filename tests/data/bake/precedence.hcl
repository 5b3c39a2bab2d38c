# Whose VERSION wins. "pinned" packages an upstream release: the file's default 6.4.1 stays
# unless the user gives another (--version, --var, VERSION=... in the environment).
# BUILD_TIME has an empty default: buildorch fills the variable. "bare" passes no args:
# its Dockerfile declares ARG VERSION BUILD_TIME, so it gets buildorch's values as build args.
# "plain" builds a Dockerfile without those ARGs: nothing is added to it.
variable "VERSION" {
  default = "6.4.1"
}

variable "BUILD_TIME" {
  default = ""
}

target "pinned" {
  context    = "ctx"
  dockerfile = "Dockerfile.args"
  args = {
    VERSION    = VERSION
    BUILD_TIME = BUILD_TIME
  }
  tags = ["example/pinned:${VERSION}"]
}

target "bare" {
  context    = "ctx"
  dockerfile = "Dockerfile.args"
}

target "plain" {
  context = "ctx"
  target  = "runtime"
}
