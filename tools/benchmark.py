"""Time every chapter cold, each in a fresh kernel: ``python -m tools.benchmark`` (``make benchmark``).

Prints one row per chapter and exits non-zero when one exceeds the budget of 30 s.
"""

from __future__ import annotations

import sys

from tools.notebooks import chapter_paths, execute, read

BUDGET_S = 30.0


def main() -> int:
    over = []
    print(f"{'chapter':<40} {'seconds':>8}")
    total = 0.0
    for path in chapter_paths():
        seconds = execute(read(path), path.parent)
        total += seconds
        flag = "  over budget!" if seconds > BUDGET_S else ""
        print(f"{path.name:<40} {seconds:8.1f}{flag}", flush=True)
        if flag:
            over.append(path.name)
    print(f"{'total':<40} {total:8.1f}")
    if over:
        print(f"over the {BUDGET_S:.0f} s budget: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
