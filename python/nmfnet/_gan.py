"""GanUnet: NMF of a group of images by one forward pass of a trained GAN-UNET generator."""

import json
import os

import numpy as np
from sklearn.utils.validation import check_non_negative

from . import _core
from ._common import as_f32


class GanUnet:
    """A trained GAN-UNET generator (the folder of an ``nmfnet gan train`` run, or of
    :meth:`GanUnet.train`). It factorises a group of ``group_size`` images ``Y ≈ HW`` in one
    forward pass: H holds ``k`` basis images, W the coefficients of each image.

    Attributes: ``checkpoint`` (the folder), ``backend``, ``group_size``, ``k``,
    ``image_shape`` (height, width), ``config`` (the training config as saved), and after
    :meth:`factorize` ``error_`` (ε of the last group: the mean over its images of
    ‖ŷ_i − y_i‖₂), ``reconstruction_`` and ``seconds_``; after :meth:`train`, ``train_summary_``.
    """

    def __init__(self, checkpoint, backend="flex"):
        self.checkpoint = os.fspath(checkpoint)
        self.backend = backend
        self.config = json.loads(_core.gan_config(self.checkpoint))
        self.group_size = int(self.config["generator"]["group"])
        self.k = int(self.config["generator"]["k"])
        shape = self.config.get("image_shape")
        self.image_shape = tuple(shape) if shape else None

    @classmethod
    def load(cls, checkpoint, backend="flex"):
        """The generator saved in ``checkpoint`` (checksums and config verified)."""
        return cls(checkpoint, backend)

    def factorize(self, images, refine=0):
        """Factorises one group: ``images`` of shape (group_size, height, width), or
        (group_size, height·width) with the model's image shape, nonnegative (a ValueError
        otherwise, as scikit-learn's check_non_negative raises), on the scale the model was
        trained on (the data sets' pixels / 255). ``refine`` rounds of alternating HALS
        follow the forward pass. Returns ``(H, W)``: H of shape (k, height, width), the basis
        images, and W of shape (k, group_size), so that image i ≈ Σ_l W[l, i]·H[l]."""
        Y = np.asarray(images)
        if Y.ndim == 3:
            height, width = Y.shape[1:]
        elif Y.ndim == 2 and self.image_shape is not None:
            height, width = self.image_shape
        else:
            raise ValueError(
                f"images must have shape (group, height, width) or (group, pixels), got {Y.shape}"
            )
        if Y.shape[0] != self.group_size:
            raise ValueError(
                f"the generator factorises groups of {self.group_size} images, got {Y.shape[0]}"
            )
        if int(refine) < 0:
            raise ValueError(f"refine must be ≥ 0, got {refine}")
        check_non_negative(Y, "GanUnet.factorize")
        rows = as_f32(Y.reshape(Y.shape[0], -1))
        h, w, rec, err, secs = _core.gan_factorize(
            self.checkpoint, rows, int(height), int(width), int(refine), self.backend
        )
        self.error_ = float(err)
        self.seconds_ = float(secs)
        self.reconstruction_ = rec.reshape(Y.shape[0], height, width)
        return h.reshape(self.k, height, width), w

    @classmethod
    def train(
        cls,
        dataset,
        out,
        *,
        data_dir=None,
        steps=1000,
        batch=1,
        k=10,
        nnls_sweeps=0,
        seed=0,
        channels=64,
        tiny=False,
        discriminator=True,
        resume=False,
        overwrite=False,
        checkpoint_every=100,
        backend="flex",
        verbose=0,
    ):
        """Trains GAN-UNET on 'mnist', 'fashion' or 'face' (from ``data_dir``, default
        $NMFNET_DATA) through nmfnet's training loop — the same run as ``nmfnet gan train``,
        checkpoints in ``out`` (``resume=True`` continues it) — and returns the trained model
        with ``train_summary_`` (test ε on the fixed test groups, times). Ctrl-C stops it
        before its next step, its last checkpoint kept."""
        shape = {
            "k": int(k),
            "channels": int(channels),
            "tiny": bool(tiny),
            "nnls_sweeps": int(nnls_sweeps),
            "discriminator": bool(discriminator),
            "batch": int(batch),
            "seed": int(seed),
        }
        if resume and overwrite:
            raise ValueError("resume=True and overwrite=True exclude each other")
        job = {
            "dataset": dataset,
            "data_dir": None if data_dir is None else os.fspath(data_dir),
            "steps": int(steps),
            "config": json.loads(_core.gan_shape_config(json.dumps(shape))),
            "backend": backend,
            "run": {
                "out": os.fspath(out),
                "mode": "resume" if resume else ("overwrite" if overwrite else "new"),
                "checkpoint_every": int(checkpoint_every),
                "progress": bool(verbose),
            },
        }
        summary = json.loads(_core.gan_train(json.dumps(job)))
        model = cls(out, backend)
        model.train_summary_ = summary
        return model

    def __repr__(self):
        return f"GanUnet({self.checkpoint!r}, group_size={self.group_size}, k={self.k})"
