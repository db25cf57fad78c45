"""Build a real CLIP-format BPE tokenizer (vocab.json + merges.txt) from the world's captions.

The format is OpenAI CLIP's: byte-level base symbols (transformers' ``bytes_to_unicode``), a ``</w>`` suffix on
the last symbol of each word, merges learned greedily by pair frequency, and the special tokens
``<|startoftext|>`` / ``<|endoftext|>``. Any prompt tokenizes (unknown words fall back to smaller
pieces, down to single bytes); words the world never shows are the "rare words" limit.

    python -m training.tokenizer --out runs/tokenizer
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np
import regex
from transformers import CLIPTokenizer
from transformers.convert_slow_tokenizer import bytes_to_unicode  # OpenAI's byte -> printable unicode map

import world

MAX_LENGTH = 48  # tokens the text encoder reads, start and end tokens included
_PAT = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", regex.IGNORECASE)


def _words(text: str, byte_map) -> list[str]:
    return ["".join(byte_map[b] for b in tok.encode("utf-8")) for tok in _PAT.findall(text.lower().strip())]


def corpus(n_captions: int = 20000, seed: int = 0, source=world) -> Counter:
    """Word frequencies: many captions of the world ``source`` plus a list of common English words."""
    byte_map = bytes_to_unicode()
    counts: Counter = Counter()
    rng = np.random.default_rng(seed)
    for _ in range(n_captions):
        counts.update(_words(source.caption(source.sample_scene(rng), rng), byte_map))
    common = (Path(__file__).with_name("common_words.txt")).read_text().split()
    for w in common:
        for piece in _words(w, byte_map):
            counts[piece] += 20
    return counts


def learn_bpe(counts: Counter, vocab_size: int) -> list[tuple[str, str]]:
    """Greedy BPE: repeatedly merge the most frequent adjacent pair (ties broken by the pair itself)."""
    words = {tuple(w[:-1]) + (w[-1] + "</w>",): c for w, c in counts.items() if w}
    merges: list[tuple[str, str]] = []
    base = 512 + 2
    while base + len(merges) < vocab_size:
        pairs: Counter = Counter()
        for sym, c in words.items():
            for a, b in zip(sym, sym[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        if pairs[best] < 2:
            break
        merges.append(best)
        new_words = {}
        for sym, c in words.items():
            out, i = [], 0
            while i < len(sym):
                if i < len(sym) - 1 and (sym[i], sym[i + 1]) == best:
                    out.append(sym[i] + sym[i + 1])
                    i += 2
                else:
                    out.append(sym[i])
                    i += 1
            new_words[tuple(out)] = new_words.get(tuple(out), 0) + c
        words = new_words
    return merges


def build_tokenizer(out_dir: str | Path, vocab_size: int = 1200, max_length: int = MAX_LENGTH,
                    source=world) -> CLIPTokenizer:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    merges = learn_bpe(corpus(source=source), vocab_size)
    base = list(bytes_to_unicode().values())
    tokens = base + [t + "</w>" for t in base] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
    vocab = {t: i for i, t in enumerate(dict.fromkeys(tokens))}
    (out_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    (out_dir / "merges.txt").write_text("#version: 0.2\n" + "\n".join(f"{a} {b}" for a, b in merges) + "\n")
    tok = CLIPTokenizer(str(out_dir / "vocab.json"), str(out_dir / "merges.txt"), model_max_length=max_length,
                        pad_token="<|endoftext|>")
    tok.save_pretrained(out_dir)
    return tok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="runs/tokenizer")
    ap.add_argument("--vocab-size", type=int, default=1200)
    args = ap.parse_args()
    tok = build_tokenizer(args.out, args.vocab_size)
    print(f"vocab {len(tok)} tokens -> {args.out}")
    for text in ["three red circles on a blue background", 'a sign that says "HI"', "an astronaut riding a horse"]:
        print(text, "->", tok.tokenize(text))


if __name__ == "__main__":
    main()
