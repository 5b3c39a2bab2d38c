# Two targets built together; "bad" exports its cache into a directory whose "ingest" is a regular file,
# so BuildKit's cache export of "bad" (only) fails. Recorded as cache_export_failed.rawjson.
group "default" {
  targets = ["ok", "bad"]
}

target "ok" {
  context           = "ctx"
  dockerfile-inline = "FROM scratch\nCOPY n.txt /n\n"
  cache-to          = ["type=local,dest=ok-cache"]
}

target "bad" {
  context           = "ctx"
  dockerfile-inline = "FROM scratch\nCOPY n.txt /bad\n"
  cache-to          = ["type=local,dest=broken"]
}
