"""KB ranking quality: hit@1 and hit@3 on the evaluation set in ``tests/kb_eval``.

    python bench/eval_kb.py [--set dev|holdout|all] [--misses]

Imports the two help centres (the demo's 51 articles and a 15-article shop) into
temporary databases and ranks every message with ``agentdesk.assist.ranking.rank``,
the ranking ``agentdesk kb search`` and the assist panel share.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from kb_eval import cases  # noqa: E402

from agentdesk.assist.kbimport import import_kb  # noqa: E402
from agentdesk.assist.ranking import rank  # noqa: E402
from agentdesk.store import Store  # noqa: E402


def evaluate(stores: dict, selected: list, show_misses: bool) -> tuple[int, int]:
    first = top3 = 0
    for kb, text, answers in selected:
        slugs = [s.article.slug for s in rank(stores[kb], [text], limit=3)]
        first += bool(slugs) and slugs[0] in answers
        top3 += any(slug in answers for slug in slugs)
        if show_misses and not (slugs and slugs[0] in answers):
            print(f"  miss: {text!r} -> {slugs} (want {answers[0]})")
    return first, top3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("dev", "holdout", "fresh", "all"), default="all")
    parser.add_argument("--misses", action="store_true", help="list the hit@1 misses")
    args = parser.parse_args()
    sets = {"dev": cases.DEV, "holdout": cases.HOLDOUT, "fresh": cases.FRESH}
    chosen = sets if args.set == "all" else {args.set: sets[args.set]}
    with tempfile.TemporaryDirectory() as tmp:
        stores = {}
        for name, folder in (("demo", cases.DEMO), ("nordic", cases.NORDIC)):
            stores[name] = Store(Path(tmp) / f"{name}.db")
            import_kb(stores[name], folder)
        for name, selected in chosen.items():
            first, top3 = evaluate(stores, selected, args.misses)
            n = len(selected)
            print(
                f"{name}: {n} messages, hit@1 {first}/{n} = {first / n:.2f}, "
                f"hit@3 {top3}/{n} = {top3 / n:.2f}"
            )
        for store in stores.values():
            store.close()


if __name__ == "__main__":
    main()
