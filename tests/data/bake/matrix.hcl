# One target expanded by a matrix over two variables.
target "svc" {
  name     = "svc-${tgt}-${replace(go, ".", "-")}"
  matrix = {
    tgt = ["builder", "runtime"]
    go  = ["1.25", "1.26"]
  }
  context    = "ctx"
  target     = tgt
  args = {
    GO_VERSION = go
  }
  tags = ["example/svc:${tgt}-go${go}"]
  attest = ["type=provenance,mode=min"]
  shm-size = "128m"
}
