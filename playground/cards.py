"""A model card (README.md in the model's folder) arranged for the Model tab. No gradio here.

A card is markdown with `## ` sections in whatever order its author chose; the bundled card, for one, and the
Hub's Stable Diffusion cards open with details and put the training log in the middle. The tab leads with what a
person asks first - what the model knows, what it draws, where it fails and how that was measured - and ends with
how it was trained. `arrange` sorts the sections by their headings into those parts, keeping the card's own order
inside each part, and splits the measured section's tables into columns so they sit side by side. A card with no
samples section of its own still gets its sample sheet shown as one: the picture, wherever it sits, moves there.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# The parts of the tab, in the order they are looked for in a heading (the first that matches wins).
_KINDS = (
    ("samples", re.compile(r"\bsamples?\b|\bexamples?\b|gallery|showcase", re.I)),
    ("limits", re.compile(r"limit|bias|risk|fail|weakness", re.I)),
    ("scores", re.compile(r"measur|evaluat|result|score|metric|benchmark", re.I)),
    ("knows", re.compile(r"know|vocabular|capabilit|intended|\buses?\b|prompt", re.I)),
    ("log", re.compile(r"train|hardware|environmental|compute|carbon|history|changelog", re.I)),
)
_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*(\n|\Z)", re.S)
# A block that is picture(s) alone, and a sample sheet by its alt text or file name: "![samples](samples.png)".
_PICTURES = re.compile(r"(?:!\[([^\]]*)\]\(([^)\s]*)\)\s*)+")
_SHEET = re.compile(r"sample|example|gallery|showcase", re.I)


@dataclass(frozen=True)
class CardView:
    about: str  # the title and introduction, what the model knows, where it fails
    samples: str  # its sample sheet(s), with their captions
    scores: str  # the measured sections up to their first table (all of them when there are no tables to split)
    score_columns: tuple[str, ...]  # the measured tables, each with its caption, grouped into columns
    other: str  # every other section (its parts, licence, citation, ...)
    log: str  # how it was trained

    def markdown(self) -> str:
        """The whole card in the tab's order, as one markdown text."""
        return "\n\n".join(p for p in (self.about, self.samples, self.scores, *self.score_columns, self.other,
                                       self.log) if p)


def split_sections(card: str) -> tuple[str, list[tuple[str, str]]]:
    """(what comes before the first `## ` heading, [(heading, whole section text)]); headings inside code fences
    are text. YAML front matter (the Hub's metadata block) is dropped."""
    card = _FRONT_MATTER.sub("", card, count=1)
    preamble: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    fenced = False
    for line in card.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            sections.append((line[3:].strip(), [line]))
        elif sections:
            sections[-1][1].append(line)
        else:
            preamble.append(line)
    return "\n".join(preamble).strip(), [(h, "\n".join(lines).strip()) for h, lines in sections]


def section_kind(heading: str) -> str:
    """Which part of the tab a section with this heading belongs to: samples, limits, scores, knows, log or other."""
    for kind, pattern in _KINDS:
        if pattern.search(heading):
            return kind
    return "other"


def _blocks(text: str) -> list[str]:
    return [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]


def _is_table(block: str) -> bool:
    lines = block.splitlines()
    return len(lines) >= 2 and all(line.lstrip().startswith("|") for line in lines)


def split_tables(text: str) -> tuple[str, list[str]]:
    """(the text before the first table, [each table with the text between it and the table before]); text after
    the last table stays with it. With fewer than two tables there is nothing to put side by side: (text, [])."""
    blocks = _blocks(text)
    if sum(_is_table(b) for b in blocks) < 2:
        return text.strip(), []
    first = next(i for i, b in enumerate(blocks) if _is_table(b))
    chunks: list[list[str]] = []
    current: list[str] = []
    for block in blocks[first:]:
        current.append(block)
        if _is_table(block):
            chunks.append(current)
            current = []
    if current:
        chunks[-1].extend(current)
    return "\n\n".join(blocks[:first]), ["\n\n".join(c) for c in chunks]


def into_columns(chunks: list[str], columns: int) -> tuple[str, ...]:
    """``chunks`` in order, in ``columns`` groups of about equal length in lines (one each when they fit);
    always ``columns`` strings, the unused ones empty."""
    if columns < 1:
        raise ValueError("columns must be at least 1")
    groups: list[list[str]] = [[] for _ in range(columns)]
    if len(chunks) <= columns:
        for group, chunk in zip(groups, chunks):
            group.append(chunk)
    else:
        lengths = [chunk.count("\n") + 1 for chunk in chunks]
        target = sum(lengths) / columns
        column, filled = 0, 0
        for i, (chunk, n) in enumerate(zip(chunks, lengths)):
            left = len(chunks) - i  # chunks not yet placed, this one included
            if groups[column] and column < columns - 1 and (filled + n / 2 > target or left < columns - column):
                column, filled = column + 1, 0
            groups[column].append(chunk)
            filled += n
    return tuple("\n\n".join(g) for g in groups)


def _is_sample_sheet(block: str) -> bool:
    if not _PICTURES.fullmatch(block):
        return False
    return any(_SHEET.search(alt) or (not target.startswith("data:") and _SHEET.search(target))
               for alt, target in re.findall(r"!\[([^\]]*)\]\(([^)\s]*)\)", block))


def _is_paragraph(block: str) -> bool:
    return not re.match(r"\s*(#|[-*+] |\d+[.)] |\||```|~~~|>|!\[)", block)


def pull_sample_sheets(text: str) -> tuple[str, list[str]]:
    """(text without its sample-sheet pictures, [each picture with the paragraph after it, its caption]). A card
    without a samples section may show its sample sheet inside another one (the 64 x 64 card: under "What it
    knows"); the tab shows it in the samples column all the same. Text without one is returned as it is."""
    blocks = _blocks(text)
    if not any(_is_sample_sheet(b) for b in blocks):
        return text, []
    kept: list[str] = []
    sheets: list[str] = []
    i = 0
    while i < len(blocks):
        if _is_sample_sheet(blocks[i]):
            sheet = [blocks[i]]
            if i + 1 < len(blocks) and _is_paragraph(blocks[i + 1]) and not _is_sample_sheet(blocks[i + 1]):
                sheet.append(blocks[i + 1])
                i += 1
            sheets.append("\n\n".join(sheet))
        else:
            kept.append(blocks[i])
        i += 1
    return "\n\n".join(kept), sheets


def arrange(card: str, columns: int = 3) -> CardView:
    """The card's sections sorted into the tab's parts (see the module docstring). A card with no samples section
    has its sample-sheet pictures (``pull_sample_sheets``) moved from the other parts into the samples part."""
    preamble, sections = split_sections(card)
    parts: dict[str, list[str]] = {"knows": [], "limits": [], "samples": [], "scores": [], "other": [], "log": []}
    for heading, text in sections:
        parts[section_kind(heading)].append(text)
    if not parts["samples"]:
        preamble, sheets = pull_sample_sheets(preamble)
        parts["samples"] += sheets
        for kind in ("knows", "limits", "other", "log"):
            pulled = [pull_sample_sheets(text) for text in parts[kind]]
            parts[kind] = [text for text, _ in pulled]
            parts["samples"] += [sheet for _, found in pulled for sheet in found]
    scores, tables = split_tables("\n\n".join(parts["scores"]))
    return CardView(
        about="\n\n".join([preamble] + parts["knows"] + parts["limits"]).strip(),
        samples="\n\n".join(parts["samples"]),
        scores=scores,
        score_columns=into_columns(tables, columns),
        other="\n\n".join(parts["other"]),
        log="\n\n".join(parts["log"]),
    )
