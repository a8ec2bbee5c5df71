"""Parses a metrics scrape (stdin) with the Prometheus project's own parsers, both the classic
text format's and OpenMetrics', and prints every sample as JSON: {"classic": [...],
"openmetrics": [...]}, each sample [name, labels, value]. Exits non-zero if either parser refuses."""
import json
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
from prometheus_client.parser import text_string_to_metric_families as classic

text = sys.stdin.read()


def samples(parse, body):
    out = []
    for family in parse(body):
        for s in family.samples:
            out.append([s.name, s.labels, s.value])
    return out


# The classic parser knows no `# EOF`; the OpenMetrics parser requires it.
print(json.dumps({
    "classic": samples(classic, text),
    "openmetrics": samples(openmetrics, text),
}))
