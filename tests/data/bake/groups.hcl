# Groups of groups; "all" reaches "one" twice and must not duplicate it.
group "default" {
  targets = ["all"]
}

group "all" {
  targets = ["fast", "slow", "one"]
}

group "fast" {
  targets = ["one", "two"]
}

group "slow" {
  targets = ["three"]
}

target "one" {
  context = "ctx"
}

target "two" {
  context = "ctx"
  output  = ["type=cacheonly"]
}

target "three" {
  context   = "ctx"
  platforms = ["linux/amd64", "linux/arm64"]
  no-cache  = true
  pull      = false
}
