//! The GAN-UNET paper's values (Wei, as quoted in SPEC §5): ε train / test.

/// ANLS, MU, HALS, GAN-UNET.
pub const TABLE1: [(&str, [(f64, f64); 4]); 3] = [
    (
        "mnist",
        [
            (1.533, 9.794),
            (1.801, 9.850),
            (3.265, 9.417),
            (3.847, 3.933),
        ],
    ),
    (
        "fashion",
        [
            (1.265, 11.189),
            (2.063, 10.991),
            (1.717, 11.077),
            (3.622, 4.122),
        ],
    ),
    (
        "face",
        [
            (1.778, 12.147),
            (2.994, 11.709),
            (1.894, 12.083),
            (3.305, 9.911),
        ],
    ),
];
pub const METHODS: [&str; 3] = ["anls", "mu", "hals"];
/// Ablation on MNIST: UNET (L1 only).
pub const UNET_MNIST: (f64, f64) = (5.371, 5.374);
