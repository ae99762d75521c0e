"""Where a server's CPU went, from `perf script` output of a `perf record -g -e cpu-clock` of one .NET process (with
DOTNET_PerfMapEnabled=1, so JIT-compiled methods have names). Used by bench/telemetry.sh (PERF=1) to tell what the
telemetry costs the calls directly from what it costs around them (the JIT, GC, background threads).

Each sample on a thread-pool worker is charged to its owner: the first frame from the leaf up that belongs to an
assembly other than System.Private.CoreLib (runtime helpers, clocks, collections and the async machinery are charged to
the code that called them). Samples on other threads are charged to the thread (the JIT's tiering, GC, timers…).

Usage: perf script -i perf.data -F comm,tid,period,ip,sym,dso | python3 perf_breakdown.py NAME [OWNERS_FILE]
Prints one tab-separated line: NAME, samples, and the shares (%) below; OWNERS_FILE gets the 40 biggest owners."""
import re
import sys
from collections import Counter

# Owners that are telemetry code: the SDK, System.Diagnostics.Metrics, and the product's own telemetry types.
TELEMETRY = re.compile(r"^(OpenTelemetry|System\.Diagnostics\.DiagnosticSource System\.Diagnostics\.Metrics|LearnHub\.Server LearnHub\.Server\.Telemetry)")
FRAME = re.compile(r"\[([A-Za-z0-9_.]+)\] ([^:\s]+)::")
SKIPPED = re.compile(r"^\[unknown\]|\[System\.Private\.CoreLib\] |\(/usr/|kernel\.kallsyms|\[vdso\]|^stub ")


def samples(lines):
    comm, stack = None, []
    for line in lines:
        if not line.strip():
            if comm is not None:
                yield comm, stack
            comm, stack = None, []
        elif line[0] not in " \t":
            if comm is not None:
                yield comm, stack
            comm, stack = line.split("  ")[0].strip(), []
        else:
            parts = line.strip().split(" ", 1)
            stack.append(parts[1] if len(parts) > 1 else parts[0])
    if comm is not None:
        yield comm, stack


def owner(stack):
    for frame in stack:
        if SKIPPED.search(frame):
            continue
        match = FRAME.search(frame)
        if not match:
            return frame[:80]
        assembly, type_name = match.groups()
        type_name = re.sub(r"\+<.*", "", type_name)  # an async method's state machine is its type's
        return f"{assembly} {type_name}" if assembly.startswith(("LearnHub", "OpenTelemetry", "System.Diagnostics")) else assembly
    return "runtime (no named frame)"


def main():
    name = sys.argv[1]
    total = 0
    owners = Counter()
    for comm, stack in samples(sys.stdin):
        total += 1
        owners[owner(stack) if comm.startswith(".NET TP Worker") else "thread: " + re.sub(r"\s*\d*$", "", comm)] += 1
    share = lambda n: f"{100 * n / max(total, 1):.2f}"
    telemetry = sum(n for o, n in owners.items() if TELEMETRY.match(o))
    jit = sum(n for o, n in owners.items() if o.startswith("thread: .NET Tiered"))
    gc = sum(n for o, n in owners.items() if re.match(r"thread: \.NET (BGC|Server GC|SVR GC)", o))
    other = sum(n for o, n in owners.items() if o.startswith("thread: ")) - jit - gc
    activity = owners["System.Diagnostics.DiagnosticSource System.Diagnostics.Activity"]
    print("\t".join([name, str(total), f"telemetry_code={share(telemetry)}", f"activity={share(activity)}",
                     f"jit_thread={share(jit)}", f"gc_threads={share(gc)}", f"other_threads={share(other)}"]))
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as out:
            for key, n in owners.most_common(40):
                out.write(f"{share(n):>6}%  {key}\n")


main()
