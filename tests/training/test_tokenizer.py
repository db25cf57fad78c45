"""The CLIP-format tokenizer built from the world's captions."""
import json

import pytest
from transformers import CLIPTokenizer

import world
from training.tokenizer import MAX_LENGTH, build_tokenizer


@pytest.fixture(scope="module")
def tok_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("tok")
    build_tokenizer(d)
    return d


def test_files_are_in_clip_format(tok_dir):
    vocab = json.loads((tok_dir / "vocab.json").read_text())
    merges = (tok_dir / "merges.txt").read_text().splitlines()
    assert merges[0].startswith("#version")
    assert "<|startoftext|>" in vocab and "<|endoftext|>" in vocab
    assert "circles</w>" in vocab and "background</w>" in vocab
    assert all(len(m.split(" ")) == 2 for m in merges[1:])


def test_world_words_are_whole_tokens_and_round_trip(tok_dir):
    tok = CLIPTokenizer.from_pretrained(tok_dir)
    assert tok.model_max_length == MAX_LENGTH
    text = "three red circles on a blue background"
    assert tok.tokenize(text) == [w + "</w>" for w in text.split()]
    ids = tok(text).input_ids
    assert ids[0] == tok.bos_token_id and ids[-1] == tok.eos_token_id
    assert tok.decode(ids, skip_special_tokens=True).strip() == text


def test_any_text_tokenizes_without_unknown_tokens(tok_dir):
    tok = CLIPTokenizer.from_pretrained(tok_dir)
    for text in ["an astronaut riding a horse", "🙂 émoji ✓", "שלום", 'a sign that says "ZQX"']:
        ids = tok(text).input_ids
        assert tok.unk_token_id not in ids[1:-1]
    assert len(tok.tokenize("an astronaut")) > 2  # a word the world never shows splits into pieces


def test_long_prompts_are_truncated_to_the_model_length(tok_dir):
    tok = CLIPTokenizer.from_pretrained(tok_dir)
    ids = tok("red " * 200, truncation=True, max_length=tok.model_max_length).input_ids
    assert len(ids) == MAX_LENGTH and ids[-1] == tok.eos_token_id


def test_every_training_caption_fits(tok_dir):
    tok = CLIPTokenizer.from_pretrained(tok_dir)
    _, caps, _ = world.sample_batch(3, 300)
    assert max(len(tok(c).input_ids) for c in caps) <= MAX_LENGTH
