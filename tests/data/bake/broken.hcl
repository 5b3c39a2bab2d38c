target "app" {
  context = "ctx"
  tags = ["x:1"
}
