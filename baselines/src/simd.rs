//! The widest vector instructions of the running processor, for kernels compiled several
//! times (AVX-512, AVX2, plain x86-64) and chosen at run time. Each kernel's versions are the
//! same Rust code under different `target_feature`s: Rust never fuses a·b + c into one
//! rounding, so the versions compute the same numbers, only in wider registers.

/// Which compiled version of a kernel to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Simd {
    #[cfg(target_arch = "x86_64")]
    Avx512,
    #[cfg(target_arch = "x86_64")]
    Avx2,
    Plain,
}

impl Simd {
    /// The widest this processor runs.
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Simd::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Simd::Avx2;
            }
        }
        Simd::Plain
    }

    /// Every version this processor runs, the widest last (for tests that compare them).
    #[cfg(test)]
    pub(crate) fn supported() -> Vec<Self> {
        #[allow(unused_mut)]
        let mut all = vec![Simd::Plain];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                all.push(Simd::Avx2);
            }
            if Simd::detect() == Simd::Avx512 {
                all.push(Simd::Avx512);
            }
        }
        all
    }
}
