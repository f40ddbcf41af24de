//! The SymNMF-Net paper's values (Tables 1–4, as quoted in SPEC §2).

/// Table 2, ACC %: SymANLS, SymHALS, ADMM, SymNewton, PGD, SymNMF-Net.
pub const TABLE2: [(&str, [f64; 6]); 4] = [
    ("orl", [80.75, 75.70, 76.50, 76.25, 77.00, 81.50]),
    ("coil20", [79.79, 58.54, 69.03, 74.72, 72.43, 80.13]),
    ("mnist1", [64.77, 66.57, 58.03, 59.90, 64.75, 70.64]),
    ("mnist2", [85.89, 86.08, 87.13, 85.89, 87.10, 98.98]),
];
pub const TABLE2_METHODS: [&str; 6] = [
    "symanls",
    "symhals",
    "admm",
    "symnewton",
    "pgd",
    "symnmf-net",
];
/// Table 1, relative error: SymANLS, SymHALS, Net.
pub const TABLE1: [(&str, [f64; 3]); 2] = [
    ("orl", [0.2669, 0.2723, 0.2659]),
    ("coil20", [0.8405, 0.8501, 0.8390]),
];
/// Table 3, (NMI, purity): SymANLS, SymHALS, Net.
pub const TABLE3: [(&str, [(f64, f64); 3]); 2] = [
    ("orl", [(0.884, 0.805), (0.862, 0.763), (0.904, 0.835)]),
    ("coil20", [(0.849, 0.804), (0.664, 0.538), (0.896, 0.853)]),
];
/// Table 4, TDT-2 (ACC %, NMI, purity): SymANLS, SymHALS, Net.
pub const TABLE4: [(f64, f64, f64); 3] = [
    (75.36, 0.746, 0.794),
    (81.31, 0.755, 0.833),
    (82.34, 0.807, 0.859),
];
pub const TRIO: [&str; 3] = ["symanls", "symhals", "symnmf-net"];
