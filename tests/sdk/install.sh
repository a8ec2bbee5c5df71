#!/usr/bin/env bash
# Installs Hydra's SDKs for tests/it/sdks.rs outside the clone, once per machine (from PyPI, npm
# and the Go module proxy): ory-hydra-client 25.4.0 (Python), @ory/hydra-client 2.2.0 and, as
# `hydra25`, 25.4.0 (JavaScript; 2.2 has no device operations) and hydra-client-go v2.2.1 (Go, built into a small program from tests/sdk/go); and prometheus-client 0.26.0
# (Python) for its exposition-format parsers; and openapi-generator-cli 7.25.0 (Maven Central).
# Prints the directory; tests read it from LATCHKEY_SDKS (default ~/.cache/latchkey-sdks).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${LATCHKEY_SDKS:-${XDG_CACHE_HOME:-$HOME/.cache}/latchkey-sdks}
mkdir -p "$dir"
if [ ! -d "$dir/python/ory_hydra_client" ]; then
  echo "sdk: ory-hydra-client (Python)" >&2
  python3 -m pip install -q --disable-pip-version-check --no-warn-conflicts --target "$dir/python" ory-hydra-client==25.4.0 >&2
fi
# The Prometheus project's Python client, whose text parsers read the metrics in tests/it/metrics.rs.
if [ ! -d "$dir/python/prometheus_client" ]; then
  echo "sdk: prometheus-client (Python, for its text-format parsers)" >&2
  python3 -m pip install -q --disable-pip-version-check --no-warn-conflicts --target "$dir/python" prometheus-client==0.26.0 >&2
fi
if [ ! -d "$dir/js/node_modules/@ory/hydra-client" ]; then
  echo "sdk: @ory/hydra-client (JavaScript)" >&2
  mkdir -p "$dir/js"
  (cd "$dir/js" && npm init -y > /dev/null && npm install --no-audit --no-fund --silent @ory/hydra-client@2.2.0 >&2)
fi
if [ ! -d "$dir/js/node_modules/hydra25" ]; then
  echo "sdk: @ory/hydra-client 25.4.0 as hydra25 (JavaScript)" >&2
  (cd "$dir/js" && npm install --no-audit --no-fund --silent hydra25@npm:@ory/hydra-client@25.4.0 >&2)
fi
# The Go program is rebuilt when its source changes.
sum=$(cat "$here/go/main.go" "$here/go/go.mod" "$here/go/go.sum" | sha256sum | cut -c1-16)
if [ ! -x "$dir/go/discovery" ] || [ "$(cat "$dir/go/.sum" 2>/dev/null)" != "$sum" ]; then
  echo "sdk: hydra-client-go (Go)" >&2
  mkdir -p "$dir/go"
  (cd "$here/go" && go build -o "$dir/go/discovery" .) >&2
  echo "$sum" > "$dir/go/.sum"
fi
# openapi-generator (Maven Central), which tests/it/sdks.rs runs on our own spec to generate a
# strictly typed Python client.
gen=openapi-generator-cli-7.25.0.jar
if [ ! -f "$dir/openapi-generator/$gen" ]; then
  echo "sdk: openapi-generator-cli 7.25.0 (Maven Central)" >&2
  mvn -q -B dependency:copy -Dartifact=org.openapitools:openapi-generator-cli:7.25.0 \
    -DoutputDirectory="$dir/openapi-generator" >&2
fi
echo "$dir"
