# An inherits chain where children declare their own caches. An override of "parent"
# (--set or an override file) would reach "child" and "grandchild" too: buildx applies
# it before it resolves inherits, and merges cache-from lists.
target "_base" {
  context    = "ctx"
  dockerfile = "Dockerfile.args"
  labels = {
    "example.literal" = "$${NOT_A_VARIABLE} %%{not_a_directive}"
    "example.dollars" = "$$$${X} $$ %% $ %"
  }
}

target "parent" {
  inherits = ["_base"]
  tags     = ["example/parent:1"]
}

target "child" {
  inherits   = ["parent"]
  tags       = ["example/child:1"]
  cache-from = ["type=local,src=child-cache"]
}

target "grandchild" {
  inherits = ["child"]
  tags     = ["example/grandchild:1"]
  cache-to = ["type=inline"]
}

group "default" {
  targets = ["parent", "child", "grandchild"]
}
