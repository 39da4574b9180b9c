#!/usr/bin/env python3
"""Writes spec/assignment-vectors.json: test vectors for Holdout's deterministic assignment.

The function (seed 001, made exact):
    h = SHA256(UTF-8 "{profile_id}:{experiment_key}:{salt}")
    u = int.from_bytes(h[:8], "big") / 2**64
    two variants [control, treatment]: treatment when u < weight(treatment), else control
    K > 2 variants: the first variant whose cumulative weight exceeds u

Clients in other languages can check their implementation against the JSON file.
Run from the package root: python3 Scripts/reference/assignment_vectors.py
"""
import hashlib
import json
from pathlib import Path


def unit_interval(profile_id: str, key: str, salt: str) -> float:
    digest = hashlib.sha256(f"{profile_id}:{key}:{salt}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def variant(u: float, variants):
    if len(variants) == 2:
        return variants[1][0] if u < variants[1][1] else variants[0][0]
    cumulative = 0.0
    for name, weight in variants:
        cumulative += weight
        if u < cumulative:
            return name
    return variants[-1][0]


designs = [
    ("1", "", [("control", 0.2), ("treatment", 0.8)]),
    ("email-holdout-q1", "", [("control", 0.5), ("treatment", 0.5)]),
    ("email-holdout-q1", "s3cr3t", [("control", 0.5), ("treatment", 0.5)]),
    ("push.test_2026", "", [("control", 0.9), ("treatment", 0.1)]),
    ("homepage", "v2", [("control", 0.34), ("a", 0.33), ("b", 0.33)]),
    ("pricing", "", [("control", 0.25), ("t1", 0.25), ("t2", 0.25), ("t3", 0.25)]),
]
profiles = ["user_001", "user_002", "user_003", "u1", "u2", "u3", "", "Ünïcødé-π", "a:b:c", "42"] + [
    f"profile_{i:05d}" for i in range(0, 200, 7)
]
vectors = []
for key, salt, variants in designs:
    for profile in profiles:
        u = unit_interval(profile, key, salt)
        vectors.append({
            "profile_id": profile,
            "experiment_key": key,
            "salt": salt,
            "variants": [{"name": n, "weight": w} for n, w in variants],
            "u": u,
            "variant": variant(u, variants),
        })
out = Path(__file__).resolve().parents[2] / "spec" / "assignment-vectors.json"
out.write_text(json.dumps({
    "description": "SHA256(profile_id:experiment_key:salt); u = first 8 bytes big-endian / 2^64; "
                   "2 variants: treatment (second) when u < its weight; K > 2: first variant whose cumulative weight exceeds u",
    "vectors": vectors,
}, indent=1, ensure_ascii=False) + "\n")
print(f"wrote {len(vectors)} vectors to {out}")
