"""playground.cards: a model card's sections in the Model tab's order (no gradio, no model)."""
import pytest

from pipelines.loading import BUNDLED_DIR
from playground.cards import arrange, into_columns, section_kind, split_sections, split_tables

HUB_CARD = """---
license: creativeml-openrail-m
tags:
- stable-diffusion
---

# Stable Diffusion v1-5

A latent text-to-image diffusion model.

## Model Details
- Developed by: someone

## Training
**Training Data** LAION-2B (en).

```
## not a heading: inside a code fence
```

## Uses
Research on generative models.

## Limitations and Bias
It does not render legible text.

## Evaluation Results
| guidance | FID |
|---|---|
| 1.5 | 10.2 |

## Citation
bibtex
"""


def test_a_hub_card_leads_with_what_it_knows_and_ends_with_its_training():
    view = arrange(HUB_CARD)
    assert "license:" not in view.markdown()  # the Hub's metadata block is not card text
    assert view.about.startswith("# Stable Diffusion v1-5")
    assert view.about.index("## Uses") < view.about.index("## Limitations and Bias")
    assert view.scores.startswith("## Evaluation Results") and "| 1.5 | 10.2 |" in view.scores
    assert view.score_columns == ("", "", "")  # one table: nothing to put side by side
    assert view.other.startswith("## Model Details") and "## Citation" in view.other
    assert view.log.startswith("## Training") and "## not a heading: inside a code fence" in view.log
    assert view.samples == ""
    text = view.markdown()
    assert text.index("## Uses") < text.index("## Evaluation Results") < text.index("## Training")


def test_the_bundled_card_in_the_tabs_order():
    view = arrange((BUNDLED_DIR / "README.md").read_text(encoding="utf-8"))
    assert view.about.index("## What it knows") < view.about.index("## Limits")
    assert view.samples.startswith("## Samples") and "![samples](samples.png)" in view.samples
    assert "Rows:" in view.samples
    assert view.scores.startswith("## Measured") and "|" not in view.scores
    first, targets, autoencoder = view.score_columns
    assert first.startswith("| category | model | autoencoder (ceiling) | images |")
    assert targets.startswith("Targets set for this model:") and autoencoder.startswith("Autoencoder reconstructions")
    assert view.other.startswith("## Parts")
    assert view.log.startswith("## Training") and "Card written by" in view.log


@pytest.mark.parametrize("heading, kind", [
    ("What it knows", "knows"), ("Samples", "samples"), ("Limits (what the Limits tab shows)", "limits"),
    ("Measured (GenEval-style, judged by `world.judge`)", "scores"), ("Parts", "other"),
    ("Training (reproducible: `training/recipes/bundled.sh`)", "log"), ("Environmental Impact", "log"),
    ("Intended uses", "knows"), ("Evaluation", "scores"), ("License", "other"),
])
def test_section_kinds(heading, kind):
    assert section_kind(heading) == kind


def test_split_sections_keeps_the_preamble_and_each_section_whole():
    preamble, sections = split_sections("# T\nintro\n\n## A\none\n\n### A.1\ntwo\n## B\nthree")
    assert preamble == "# T\nintro"
    assert sections == [("A", "## A\none\n\n### A.1\ntwo"), ("B", "## B\nthree")]


def test_split_tables_keeps_each_caption_with_its_table():
    intro, chunks = split_tables("Intro.\n\n| a |\n|---|\n| 1 |\n\nSecond:\n\n| b |\n|---|\n| 2 |\n\nA note after.")
    assert intro == "Intro."
    assert chunks == ["| a |\n|---|\n| 1 |", "Second:\n\n| b |\n|---|\n| 2 |\n\nA note after."]
    assert split_tables("Just text.\n\n| a |\n|---|") == ("Just text.\n\n| a |\n|---|", [])


def test_into_columns_keeps_the_order_and_balances():
    assert into_columns(["a", "b"], 3) == ("a", "b", "")
    tall, short = "\n".join("x" * 10), "y"
    columns = into_columns([tall, short, short, tall], 2)
    assert columns == (f"{tall}\n\n{short}", f"{short}\n\n{tall}")
    assert into_columns(["a"] * 7, 3) == ("a\n\na", "a\n\na", "a\n\na\n\na")
    assert all(into_columns(["a"] * 5, 4))  # no column left empty while there are chunks for it
    with pytest.raises(ValueError):
        into_columns(["a"], 0)


def test_the_v2_card_shows_its_sample_sheet_in_the_samples_part():
    """The 64 x 64 card puts its sample sheet under "What it knows" (no samples section): the tab still shows it in
    the samples column, with its caption, and not twice."""
    from pipelines.loading import BUNDLED

    view = arrange((BUNDLED["v2"] / "README.md").read_text(encoding="utf-8"))
    assert view.samples.startswith("![samples](samples.png)") and "Rows (4 seeds each" in view.samples
    assert "![samples]" not in view.about and "Rows (4 seeds each" not in view.about
    assert view.about.index("## What it knows") < view.about.index("## Limits")
    assert "Words outside this vocabulary" in view.about  # the section's own text stays
    assert view.markdown().count("![samples]") == 1


def test_a_picture_that_is_no_sample_sheet_stays_where_it_is():
    card = "# M\n\n## What it knows\n- circles\n\n![loss curve](loss.png)\n\nThe loss fell.\n\n## Limits\nText."
    view = arrange(card)
    assert view.samples == "" and "![loss curve](loss.png)\n\nThe loss fell." in view.about
    card = card.replace("![loss curve](loss.png)", "![examples](grid.png)")
    view = arrange(card)
    assert view.samples == "![examples](grid.png)\n\nThe loss fell." and "grid.png" not in view.about
