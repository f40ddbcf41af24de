//! Classical solvers for symmetric NMF and plain NMF — the baselines every table compares
//! against (SPEC §3). Not implemented yet; planned, without any Burn dependency:
//!
//! * SymNMF: SymANLS and SymHALS (Zhu et al. 2018), SymNewton and PGD (Kuang et al. 2015),
//!   ADMM (Lu, Hong, Wang 2017), the plain projected scheme (4) of the SymNMF-Net paper, and
//!   Kuang's ANLS variant;
//! * plain NMF for GAN-UNET's comparisons: MU, HALS and ANLS-BPP, plus an NNLS solve with a
//!   fixed basis;
//! * one shared NNLS block-principal-pivoting kernel.
