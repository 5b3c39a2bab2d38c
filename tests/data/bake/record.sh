#!/bin/sh
# Re-record the bake fixtures from the installed buildx (recorded with 0.13.1).
# Run from this directory: sh record.sh. Contexts are relative to the CWD, hence "ctx".
set -u
p() { docker buildx bake "$@" --print 2>/dev/null; }
p -f inherits.hcl api api-debug > inherits.print.json
p -f matrix.hcl svc > matrix.print.json
p -f groups.hcl > groups.print.json
p -f contexts.hcl app > contexts.print.json
# Why buildorch runs the resolved definition, not an override file: the file's target "api" leaks into "api-debug".
p -f inherits.hcl -f inherits.override.json api api-debug > inherits_override.print.json
# Whose VERSION wins: the file's default, then with the user's VERSION; an inherits chain; metadata-action.
p -f precedence.hcl pinned bare plain > precedence.print.json
VERSION=7.0.0 p -f precedence.hcl pinned bare plain > precedence_user.print.json
p -f unpinned.hcl app > unpinned.print.json
VERSION=1.2.3 p -f unpinned.hcl app > unpinned_filled.print.json
p -f chain.hcl > chain.print.json
p -f metadata.hcl -f metadata-action.json build > metadata.print.json
p -f stamped.hcl stamped > stamped.print.json
sleep 1.1
VERSION=7.0.0 p -f stamped.hcl stamped > stamped_user.print.json
# The project's bake file, from the repository root, with fixed variables; then with buildorch's --set.
cd ../../..
V="VERSION=1.2.3 BUILD_TIME=2026-01-02T03:04:05Z"
env $V docker buildx bake -f bakefiles/docker-bake.hcl --print 2>/dev/null > tests/data/bake/bakefile_default.print.json
env $V docker buildx bake -f bakefiles/docker-bake.hcl --print \
  --set app.args.SOURCE_DATE_EPOCH=1767323045 \
  --set app.cache-from=type=local,src=/cache/app-bake-app \
  --set app.cache-to=type=local,dest=/cache/app-bake-app.new-1,mode=max \
  --set app-test.args.SOURCE_DATE_EPOCH=1767323045 \
  --set app-test.cache-to=type=local,dest=/cache/app-bake-app-test.new-1,mode=max \
  2>/dev/null > tests/data/bake/bakefile_injected.print.json
cd tests/data/bake
# What buildx says about bad input (stderr), one file per case.
docker buildx bake -f broken.hcl --print 2> errors/broken.txt >/dev/null
docker buildx bake -f groups.hcl --print nope 2> errors/unknown_target.txt >/dev/null
docker buildx bake -f groups.hcl --print --set one.foo=1 one 2> errors/unknown_key.txt >/dev/null
docker buildx bake -f groups.hcl --print --set nope.args.X=1 one 2> errors/unknown_set_target.txt >/dev/null
docker buildx bake -f missing.hcl --print 2> errors/missing_file.txt >/dev/null
docker buildx bake -f cycle.hcl --print a 2> errors/cycle.txt >/dev/null
# Progress and metadata of real runs are recorded by hand: default_group*.rawjson, single_target.rawjson (app-test),
# default_group.metadata.json (docker buildx bake -f bakefiles/docker-bake.hcl --progress rawjson
# --metadata-file ...), failing.rawjson (failing.hcl).
true
# One target's cache export fails (its destination's "ingest" is a regular file): both targets, then "bad" alone
# (recorded with buildx 0.38.2).
mkdir -p broken && touch broken/ingest broken/blobs
docker buildx bake -f cache_export.hcl --progress rawjson > /dev/null 2> cache_export_failed.rawjson
docker buildx bake -f cache_export.hcl --progress rawjson bad > /dev/null 2> cache_export_failed_single.rawjson
rm -rf broken ok-cache
