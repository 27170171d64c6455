#!/usr/bin/env python3
"""Scrapes a Prometheus text exposition and prints it as one JSON object.

Usage: scrape-metrics.py URL

Parsed by an independent implementation, prometheus_client's text parser, so a test
reading the output checks that choreo's /metrics is valid Prometheus text. Output:
{"families": {name: type}, "samples": [{"name", "labels", "value"}]}.
"""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with urllib.request.urlopen(sys.argv[1], timeout=10) as response:
        text = response.read().decode("utf-8")
    families = {}
    samples = []
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        for sample in family.samples:
            samples.append({"name": sample.name, "labels": dict(sample.labels), "value": sample.value})
    json.dump({"families": families, "samples": samples}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
