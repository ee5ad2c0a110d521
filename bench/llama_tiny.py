"""Write a tiny llama-architecture GGUF model whose output is known in advance.

    python bench/llama_tiny.py [--out /tmp/tiny.gguf] [--words 1500] [--seed 17]

For ``bench_llamacpp.py``: a real llama.cpp server needs a model file, and none can be
downloaded here, so this script makes one (2.5 MB) with the ``gguf`` package. Its
weights are seeded random numbers arranged so that the model is a *successor table*:

- every token's embedding is a random unit vector (``seed``); the attention output and
  the feed-forward down projection are zero, so the last hidden state is the current
  token's own embedding;
- the output matrix's row for token ``next(t)`` is ``t``'s embedding, scaled, so the
  most likely next token after ``t`` is ``next(t)`` by about 20 logits
  (sampling at any usual temperature picks it).

``next`` walks a chain of ``words`` distinct word tokens (``▁Hello`` ``▁from`` ``▁the``
``▁tiny`` ``▁model:`` then ``▁t1`` ``▁t2`` …) and then the end-of-sequence token; every
other token (the prompt's bytes) leads to the chain's first word. So whatever it is
asked, the model streams the same ``words`` tokens and stops with ``finish_reason:
stop``, unless ``max_tokens`` stops it first (``length``). The vocabulary is SentencePiece
style: ``<unk>``, ``<s>``, ``</s>``, the 256 byte tokens (any prompt tokenises into them)
and the chain's words. The chat template is a plain one in the file's metadata.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gguf
import numpy as np

EMBED = 128  # hidden size: random unit vectors of this size are near orthogonal
LAYERS = 1
HEADS = 4
FEED_FORWARD = 256
CONTEXT = 16384  # the desk's draft prompt is a few thousand byte tokens, the draft 1,500
SCALE = 30.0  # logit scale: the next word leads every other token by about 20 logits
OPENING = ["▁Hello", "▁from", "▁the", "▁tiny", "▁model:"]
TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n"
    "{% endfor %}<|assistant|>\n"
)
UNK, BOS, EOS = 0, 1, 2


def chain_words(count: int) -> list[str]:
    """The ``count`` words the model writes, in order (all distinct tokens)."""
    return (OPENING + [f"▁t{n}" for n in range(1, count + 1)])[:count]


def vocabulary(words: list[str]) -> tuple[list[str], list[int]]:
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + words
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL]
    types += [gguf.TokenType.BYTE] * 256 + [gguf.TokenType.NORMAL] * len(words)
    return tokens, [int(t) for t in types]


def successor_weights(
    vocab: int, first_word: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Token embeddings, and the output matrix that maps each token to its successor."""
    embedding = rng.standard_normal((vocab, EMBED)).astype(np.float32)
    embedding /= np.linalg.norm(embedding, axis=1, keepdims=True)
    output = np.zeros((vocab, EMBED), dtype=np.float32)
    # Every token before the chain (special and byte tokens) leads to its first word:
    # they share one direction, so one output row can answer all of them.
    before = embedding[first_word - 1]
    embedding[:first_word] = before
    output[first_word] = before
    for token in range(first_word, vocab):  # word -> next word; the last -> </s>
        output[token + 1 if token + 1 < vocab else EOS] = embedding[token]
    # RMS norm makes the hidden state's length sqrt(EMBED); SCALE is the logit margin.
    return embedding, (output * (SCALE / np.sqrt(EMBED))).astype(np.float32)


def write(path: Path, words: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    tokens, types = vocabulary(chain_words(words))
    first_word = 3 + 256
    embedding, output = successor_weights(len(tokens), first_word, rng)
    head = EMBED // HEADS
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("agentdesk tiny successor model")
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(EMBED)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FEED_FORWARD)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    writer.add_rope_dimension_count(head)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * 3 + [-1000.0] * 256 + [-1.0] * (len(tokens) - 259))
    writer.add_token_types(types)
    writer.add_unk_token_id(UNK)
    writer.add_bos_token_id(BOS)
    writer.add_eos_token_id(EOS)
    writer.add_chat_template(TEMPLATE)
    ones = np.ones(EMBED, dtype=np.float32)
    writer.add_tensor("token_embd.weight", embedding)
    writer.add_tensor("output_norm.weight", ones)
    writer.add_tensor("output.weight", output)
    for layer in range(LAYERS):
        name = f"blk.{layer}"
        small = (rng.standard_normal((EMBED, EMBED)) * 0.02).astype(np.float32)
        writer.add_tensor(f"{name}.attn_norm.weight", ones)
        for part in ("attn_q", "attn_k", "attn_v"):
            writer.add_tensor(f"{name}.{part}.weight", small)
        writer.add_tensor(f"{name}.attn_output.weight", np.zeros((EMBED, EMBED), np.float32))
        writer.add_tensor(f"{name}.ffn_norm.weight", ones)
        up = (rng.standard_normal((FEED_FORWARD, EMBED)) * 0.02).astype(np.float32)
        writer.add_tensor(f"{name}.ffn_gate.weight", up)
        writer.add_tensor(f"{name}.ffn_up.weight", up)
        writer.add_tensor(f"{name}.ffn_down.weight", np.zeros((EMBED, FEED_FORWARD), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/agentdesk-tiny.gguf"))
    parser.add_argument("--words", type=int, default=1500, help="tokens before </s>")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    path = write(args.out, args.words, args.seed)
    print(f"{path}: {path.stat().st_size / 1e6:.1f} MB, {args.words} words then </s>")


if __name__ == "__main__":
    main()
