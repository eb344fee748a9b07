#!/usr/bin/env bash
# axe-core, for the report's accessibility tests: installed from npm into .cache/npm (git-ignored).
# Never fails the build: without npm the tests that need it are skipped and say why.
set -u
DIR=.cache/npm
if [ -f "$DIR/node_modules/axe-core/axe.min.js" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "axe-core: npm is not installed; the report's accessibility tests will be skipped"
  exit 0
fi
mkdir -p "$DIR"
if timeout 300 npm install --prefix "$DIR" --no-audit --no-fund --silent axe-core@4 >/tmp/auditor-npm-axe.log 2>&1; then
  echo "axe-core: installed into $DIR"
else
  echo "axe-core: npm install failed (see /tmp/auditor-npm-axe.log); the accessibility tests will be skipped"
fi
exit 0
