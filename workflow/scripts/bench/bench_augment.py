"""Benchmark of the augmentation stage (a script that prints figures, not a test).

1. Pairs per 1,000 sessions: a generated corpus (`halops generate-sessions`, default 1,000
   sessions) goes through the data stages in process (extract, qualify, curate, validate) and
   the pairs stage; prints pairs per kind, pairs per 1,000 sessions, the miner's throughput
   (sessions/s, next to the extract pass over the same sessions as a baseline) and peak RSS.
2. SFT vs SFT + DPO (`--eval`): the eval cases and held-out turns on the two GGUFs an
   augmentation run of the pipeline builds, through the eval's own code; prints the eval's
   one-screen summary (pass/partial/fail, next-call accuracy, unsafe proposals per model).
   Build them first (minutes on a CPU):

       .venv/bin/snakemake --cores all --configfile config/augment-on.yaml

Usage:

    .venv/bin/python workflow/scripts/bench/bench_augment.py [--sessions 1000] [--seed 0]
    .venv/bin/python workflow/scripts/bench/bench_augment.py --sessions-dir ~/.claude/projects
    .venv/bin/python workflow/scripts/bench/bench_augment.py --skip-pairs --eval \
        [--max-cases 8] [--heldout-turns 150]
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(REPO / "workflow" / "src"), str(REPO)]

from halops.augment.config import PairsConfig
from halops.augment.mine import MineStats, mine_session
from halops.augment.pairs import (
    PairsInputs,
    PairsOutputs,
    StageConfigs,
    build_pairs,
)
from halops.curate.config import STRATEGIES, CurateConfig
from halops.curate.pipeline import curate_strategy, iter_sessions, tier_lookup
from halops.qualify import DomainConfig, QualifyConfig, qualify_sessions
from halops.samplegen import generate_corpus
from halops.split import SPLITS
from halops.extract.sessions import find_sessions as discover_sessions
from halops.extract.session import extract_session
from halops.validate_split import ValidateConfig, validate_and_split

CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(label: str, timings: dict[str, float]):
    class Timer:
        def __enter__(self):
            self.start = time.perf_counter()

        def __exit__(self, *exc):
            timings[label] = time.perf_counter() - self.start

    return Timer()


def data_stages(
    work: Path, n_sessions: int, seed: int, timings: dict[str, float], corpus: Path | None
) -> dict:
    """Corpus -> extracted -> qualified -> curated -> final splits, as the rules do it."""
    if corpus is None:
        corpus = work / "sessions"
        with timed("generate", timings):
            generate_corpus(corpus, n_sessions, seed=seed)
    extracted = []
    with timed("extract", timings):
        for ref in discover_sessions(corpus):
            out = work / "extracted" / ref.project / f"{ref.session}.parquet"
            quarantine = work / "quarantine" / ref.project / f"{ref.session}.jsonl"
            extract_session(ref.main_path, list(ref.subagent_paths), corpus, out, quarantine)
            extracted.append(out)
    qualify_cfg = QualifyConfig.from_dict(CONFIG["qualify"])
    with timed("qualify", timings):
        qualified = qualify_sessions(
            extracted, qualify_cfg, DomainConfig.from_dict(CONFIG["domain"])
        )
        qualified.to_parquet(work / "qualified.parquet", index=False)
    curate_cfg = CurateConfig.from_dict(CONFIG["curate"])
    curated = []
    with timed("curate", timings):
        for strategy in STRATEGIES:
            path = work / "curated" / f"{strategy}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            curate_strategy(strategy, extracted, qualified, curate_cfg).to_parquet(
                path, index=False
            )
            curated.append(path)
    validate_cfg = ValidateConfig.from_dict(CONFIG["validate"])
    with timed("validate", timings):
        validate_and_split(curated, [], work / "qualified.parquet", validate_cfg, work / "final")
    return {
        "extracted": extracted,
        "qualified": qualified,
        "curate": curate_cfg,
        "qualify": qualify_cfg,
        "validate": validate_cfg,
    }


def miner_only(stages: dict, timings: dict[str, float]) -> int:
    """The miner alone over every session (no scrub/dedup/split): reading the extracted
    parquet (halops.curate.pipeline.iter_sessions, shared with curate) and mining, timed apart."""
    pairs_cfg = PairsConfig.from_dict(CONFIG["augment"]["pairs"])
    kinds = [k for k in pairs_cfg.kinds if k != "safety"]
    n, mining = 0, 0.0
    with timed("read + mine", timings):
        for session in iter_sessions(stages["extracted"], tier_lookup(stages["qualified"])):
            start = time.perf_counter()
            mine_session(
                session,
                stages["curate"],
                stages["qualify"],
                pairs_cfg.max_prompt_tokens,
                kinds,
                MineStats(),
            )
            mining += time.perf_counter() - start
            n += 1
    timings["mine"] = mining
    return n


def pairs_benchmark(n_sessions: int, seed: int, corpus: Path | None) -> None:
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-augment-") as tmp:
        work = Path(tmp)
        stages = data_stages(work, n_sessions, seed, timings, corpus)
        n_mined_sessions = miner_only(stages, timings)
        inputs = PairsInputs(
            stages["extracted"],
            work / "qualified.parquet",
            {split: work / "final" / f"{split}.parquet" for split in SPLITS},
            REPO / "config" / "policy.yaml",
            REPO / "config" / "inventory.yaml",
        )
        cfgs = StageConfigs(
            PairsConfig.from_dict(CONFIG["augment"]["pairs"]),
            stages["curate"],
            stages["qualify"],
            stages["validate"],
        )
        outputs = PairsOutputs(work / "pairs.parquet", work / "pairs.jsonl", work / "card.json")
        with timed("pairs stage", timings):
            card = build_pairs(inputs, cfgs, outputs)
    n = len(stages["qualified"])
    mined = card["sessions_mined"]
    where = corpus or f"generated, seed {seed}"
    print(f"corpus: {n} sessions ({where}), {mined} mined (tiers {cfgs.pairs.tiers})")
    print("pairs per kind: mined (before dedup) -> kept (train / val / test), per 1,000 sessions")
    total, total_mined = 0, 0
    for kind in cfgs.pairs.kinds:
        counts = card["per_kind_split"].get(kind, dict.fromkeys(SPLITS, 0))
        mined_kind = card["candidates_per_kind"].get(kind, 0)
        kept = sum(counts.values())
        total, total_mined = total + kept, total_mined + mined_kind
        per_split = " / ".join(str(counts[s]) for s in SPLITS)
        print(
            f"  {kind:13} {mined_kind:6} -> {kept:5} ({per_split:>13})   "
            f"{1000 * mined_kind / n:7.1f} -> {1000 * kept / n:7.1f}"
        )
    print(
        f"  {'all':13} {total_mined:6} -> {total:5} {'':15}   "
        f"{1000 * total_mined / n:7.1f} -> {1000 * total / n:7.1f}"
    )
    print(f"candidates {card['n_candidates']}, duplicates removed {card['duplicates_removed']}")
    print(f"mined candidates turned away: {card['skipped']}")
    print("wall time (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    rate = n_mined_sessions / timings["mine"]
    with_reading = n_mined_sessions / timings["read + mine"]
    baseline = n / timings["extract"]
    print(
        f"miner: {rate:.0f} sessions/s mining, {with_reading:.0f} sessions/s with reading the "
        f"parquet; extract over the same sessions: {baseline:.0f} sessions/s "
        f"(mining / extract = {rate / baseline:.2f}x)"
    )
    print(f"peak RSS: {peak_rss_mb():.0f} MB")


def eval_benchmark(sft: Path, dpo: Path, max_cases: int | None, heldout_turns: int) -> None:
    """Both models as the agent runs them (grammar on, no retrieval), through the eval's own
    code, on the configured cases and held-out turns."""
    from halops.eval.main import EvalInputs, EvalOutputs, evaluate

    for path in (sft, dpo):
        if not path.is_file():
            raise SystemExit(
                f"{path} is missing: build it with "
                "`.venv/bin/snakemake --cores all --configfile config/augment-on.yaml`"
            )
    section = dict(CONFIG["eval"])
    section["models"] = [{"name": "sft", "gguf": str(sft)}, {"name": "sft-dpo", "gguf": str(dpo)}]
    section["configurations"] = [
        {"model": name, "retrieval": False, "grammar": True, "heldout": True}
        for name in ("sft", "sft-dpo")
    ]
    section["max_cases"] = max_cases
    section["heldout_max_turns"] = heldout_turns
    with tempfile.TemporaryDirectory(prefix="bench-augment-eval-") as tmp:
        start = time.perf_counter()
        summary = evaluate(
            section, EvalInputs.from_section(section, REPO), EvalOutputs.under(Path(tmp)), REPO
        )
        seconds = time.perf_counter() - start
    print(summary)
    print(f"eval of SFT and SFT + DPO: {seconds:.0f} s")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--sessions-dir", type=Path, help="mine these transcripts instead of a generated corpus"
    )
    parser.add_argument("--skip-pairs", action="store_true", help="only the eval comparison")
    parser.add_argument("--eval", action="store_true", help="compare SFT and SFT + DPO")
    parser.add_argument(
        "--sft-gguf", type=Path, default=REPO / "results/augmented/sft/model.Q8_0.gguf"
    )
    parser.add_argument("--dpo-gguf", type=Path, default=REPO / "results/model/model.Q8_0.gguf")
    parser.add_argument("--max-cases", type=int, help="cases to run (default: all)")
    parser.add_argument("--heldout-turns", type=int, default=150, help="held-out turns")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not args.skip_pairs:
        pairs_benchmark(args.sessions, args.seed, args.sessions_dir)
    if args.eval:
        eval_benchmark(args.sft_gguf, args.dpo_gguf, args.max_cases, args.heldout_turns)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
