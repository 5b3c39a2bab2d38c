# Group "a" includes itself through "b": buildx 0.13 says "failed to find target a".
group "a" {
  targets = ["b"]
}

group "b" {
  targets = ["one", "a"]
}

target "one" {
  context = "ctx"
}
