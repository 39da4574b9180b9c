#!/usr/bin/env python3
"""Writes spec/random-vectors.json: xoshiro256** outputs, uniforms and polar-method normals.

An independent implementation (plain Python integers) of the generator HoldoutSimulation uses:
SplitMix64 seeding, xoshiro256** 1.0, uniform = (x >> 11) * 2**-53, and the Marsaglia polar
normal that discards the second value of each accepted pair. Run from the package root:
    python3 Scripts/reference/random_vectors.py
"""
import json
import math
from pathlib import Path

MASK = (1 << 64) - 1


def splitmix(seed):
    x = seed
    while True:
        x = (x + 0x9E3779B97F4A7C15) & MASK
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        yield z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro:
    def __init__(self, seed):
        g = splitmix(seed)
        self.s = [next(g) for _ in range(4)]

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next() >> 11) * 2.0**-53

    def normal(self):
        while True:
            u = 2 * self.uniform() - 1
            v = 2 * self.uniform() - 1
            s = u * u + v * v
            if 0 < s < 1:
                return u * math.sqrt(-2 * math.log(s) / s)


vectors = []
for seed in [0, 1, 42, 20261122, 2**64 - 1]:
    g = Xoshiro(seed)
    raw = [str(g.next()) for _ in range(8)]
    g = Xoshiro(seed)
    uniforms = [g.uniform() for _ in range(4)]
    g = Xoshiro(seed)
    normals = [g.normal() for _ in range(6)]
    vectors.append({"seed": str(seed), "next": raw, "uniform": uniforms, "normal": normals})
out = Path(__file__).resolve().parents[2] / "spec" / "random-vectors.json"
out.write_text(json.dumps({"generator": "xoshiro256** 1.0 seeded by SplitMix64", "vectors": vectors}, indent=1) + "\n")
print(f"wrote {out}")
