"""GanUnet: training through the Rust loop, loading, factorising a group; the CLI's H and W
for the same images."""

import json
import os
import pickle
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nmfnet import GanUnet

DATA = Path(os.environ.get("NMFNET_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    if not (DATA / "mnist").is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"no MNIST under {DATA}")
        pytest.skip(f"no MNIST under {DATA}")
    out = tmp_path_factory.mktemp("gan") / "run"
    return GanUnet.train("mnist", out, data_dir=DATA, steps=2, tiny=True, seed=3)


def group(model, seed=0):
    rng = np.random.default_rng(seed)
    h, w = model.image_shape
    # Whole 1/255 steps, as images read from 8-bit files are.
    return (rng.integers(0, 256, size=(model.group_size, h, w)) / 255.0).astype(np.float32)


def write_pgm(path, img):
    h, w = img.shape
    data = np.rint(img * 255).astype(np.uint8).tobytes()
    path.write_bytes(f"P5\n{w} {h}\n255\n".encode() + data)


def test_train_load_and_factorize(tiny_model):
    s = tiny_model.train_summary_
    assert s["steps"] == 2 and s["dataset"] == "mnist" and np.isfinite(s["test_error"])
    model = GanUnet.load(tiny_model.checkpoint)
    assert (model.group_size, model.k, model.image_shape) == (40, 10, (28, 28))
    Y = group(model)
    H, W = model.factorize(Y)
    assert H.shape == (10, 28, 28) and W.shape == (10, 40)
    assert H.min() >= 0 and W.min() >= 0
    # ε is the mean over the images of ‖ŷ_i − y_i‖₂, ŷ_i = Σ_l W[l, i]·H[l].
    rec = np.einsum("li,lp->ip", W.astype(np.float64), H.reshape(10, -1).astype(np.float64))
    eps = np.linalg.norm(rec - Y.reshape(40, -1), axis=1).mean()
    assert abs(model.error_ - eps) <= 1e-4 * eps
    np.testing.assert_allclose(model.reconstruction_.reshape(40, -1), rec, rtol=1e-4, atol=1e-5)
    # Rounds of alternating HALS never raise the squared error of the reconstruction.
    H2, W2 = model.factorize(Y, refine=3)
    rec2 = W2.T.astype(np.float64) @ H2.reshape(10, -1)
    assert np.linalg.norm(rec2 - Y.reshape(40, -1)) <= np.linalg.norm(rec - Y.reshape(40, -1)) * (1 + 1e-6)
    # Flat rows work as well; the same input gives the same factors.
    H3, W3 = model.factorize(Y.reshape(40, -1))
    np.testing.assert_array_equal(H3, H)
    back = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(back.factorize(Y)[1], W)


def test_bad_groups_are_value_errors(tiny_model):
    with pytest.raises(ValueError, match="groups of 40"):
        tiny_model.factorize(np.zeros((39, 28, 28)))
    with pytest.raises(ValueError, match="28×28"):
        tiny_model.factorize(np.zeros((40, 32, 32)))
    with pytest.raises(ValueError, match="(?i)non-finite|NaN"):
        bad = np.zeros((40, 28, 28))
        bad[3, 4, 5] = np.nan
        tiny_model.factorize(bad)
    with pytest.raises(ValueError):
        GanUnet.load(Path(tiny_model.checkpoint).parent / "no-such-run")


def test_negative_images_are_a_value_error_like_scikit_learns(tiny_model):
    """scikit-learn's check_non_negative: "Negative values in data passed to …"."""
    Y = group(tiny_model)
    Y[7, 3, 4] = -1.0 / 255
    with pytest.raises(ValueError, match="Negative values in data passed to GanUnet.factorize"):
        tiny_model.factorize(Y)
    with pytest.raises(ValueError, match="Negative values"):
        tiny_model.factorize(Y.reshape(40, -1))


def test_factorize_matches_the_cli(tiny_model, nmfnet_cli, workdir):
    Y = group(tiny_model, seed=1)
    folder = workdir / "group"
    folder.mkdir()
    for i, img in enumerate(Y):
        write_pgm(folder / f"{i:02d}.pgm", img)
    out = subprocess.run(
        [nmfnet_cli, "gan", "factorize", "--checkpoint", tiny_model.checkpoint, "--images", str(folder),
         "--out", str(workdir / "f"), "--refine", "1", "--json"],
        capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    H, W = tiny_model.factorize(Y, refine=1)
    # The files' pixels go through the PGM reader's own scaling: the same to f32 rounding, which
    # the generator and a HALS round carry to a few 1e-7 of the largest entry.
    for got, want in ((np.load(workdir / "f" / "H.npy"), H.reshape(10, -1).T), (np.load(workdir / "f" / "W.npy"), W)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * np.abs(want).max())
    assert abs(summary["error"] - tiny_model.error_) <= 1e-5 * summary["error"]
