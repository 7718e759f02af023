"""Exports the 100 instances of Peng, Zhang & Mitra's stationary experiment as a JSON list, in
the format of `[causal]` instance files; regretlab embeds the output as `{ paper = "stationary" }`.

Their driver seeds numpy's legacy global generator with 2025 and draws 100 instances in a row,
each by this procedure (N = 10, nu = 1, Sigma = I): per regime, an N x N 0/1 edge-presence draw,
an N x N sign draw (2 * {0, 1} - 1) and an N x N magnitude draw U[0.5, 2), kept above the
diagonal; the pair is redrawn until every column n >= 1 differs between the regimes. Only numpy
is needed; run once, with numpy's legacy `RandomState` semantics (any numpy >= 1.17):

    python scripts/causal_paper_instances.py > src/settings/causal/paper_instances.json
"""

import json

import numpy as np

N, COUNT, SEED = 10, 100, 2025


def regime(rs):
    present = rs.randint(2, size=(N, N))
    sign = 2 * rs.randint(2, size=(N, N)) - 1
    magnitude = rs.uniform(0.5, 2, size=(N, N))
    return np.triu(magnitude, k=1) * present * sign


def instance(rs):
    while True:
        b, b_prime = regime(rs), regime(rs)
        if all(not np.array_equal(b[:, n], b_prime[:, n]) for n in range(1, N)):
            return b, b_prime


def main():
    np.random.seed(SEED)
    rs = np.random.mtrand._rand  # the legacy global generator the driver uses
    out = []
    for _ in range(COUNT):
        b, b_prime = instance(rs)
        out.append({
            "B": [[float(x) + 0.0 for x in row] for row in b],
            "B_prime": [[float(x) + 0.0 for x in row] for row in b_prime],
            "nu": [1.0] * N,
            "Sigma": np.eye(N).tolist(),
        })
    json.dump(out, __import__("sys").stdout, separators=(",", ":"))


if __name__ == "__main__":
    main()
