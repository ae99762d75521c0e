#!/usr/bin/env python3
"""Percentiles from h2load --log-file rows: start µs since epoch, HTTP status, µs until end of response.

h2load logs the measured phase only (not the warm-up).
Usage: latency.py LOG   prints: count p50_ms p99_ms max_ms non200
"""
import sys


def percentile(sorted_values, p):
    # Nearest-rank: the smallest value with at least p % of the values at or below it.
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def main():
    path = sys.argv[1]
    latencies = []
    non200 = 0
    with open(path) as log:
        for line in log:
            _start, status, micros = line.split("\t")[:3]
            if status != "200":
                non200 += 1
                continue
            latencies.append(int(micros))
    latencies.sort()
    print(f"{len(latencies)} {percentile(latencies, 50) / 1000:.3f} {percentile(latencies, 99) / 1000:.3f} "
          f"{(latencies[-1] if latencies else 0) / 1000:.3f} {non200}")


if __name__ == "__main__":
    main()
