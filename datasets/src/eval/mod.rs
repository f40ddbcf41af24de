//! How good a clustering or a factorisation is: the clustering metrics ([`metrics`]: ACC, NMI,
//! purity, relative error, sparse factor) and the paired test of the reproduction ([`stats`]:
//! Wilcoxon's signed-rank test).

pub mod metrics;
pub mod stats;
