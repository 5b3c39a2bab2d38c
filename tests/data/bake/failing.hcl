# Two targets built together; "bad" fails. Recorded as failing.rawjson.
group "default" {
  targets = ["ok", "bad"]
}

target "ok" {
  context           = "ctx"
  dockerfile-inline = "FROM golang:1.26-bookworm\nRUN echo fine\n"
  output            = ["type=cacheonly"]
}

target "bad" {
  context           = "ctx"
  dockerfile-inline = "FROM golang:1.26-bookworm\nRUN echo about to fail && exit 3\n"
  output            = ["type=cacheonly"]
}
