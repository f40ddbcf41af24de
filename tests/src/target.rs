//! What a generic case needs to know about the backend it runs on (precision, speed of ops).

/// Floating-point precision of the backend a case runs on, which sets its tolerances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    F32,
    F64,
}

impl Precision {
    /// Machine epsilon.
    pub fn eps(self) -> f64 {
        match self {
            Precision::F32 => f32::EPSILON as f64,
            Precision::F64 => f64::EPSILON,
        }
    }
}

/// What a generic case needs to know about the backend it runs on.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub precision: Precision,
    /// Every op is a round trip to a (software) GPU: keep sizes and op counts small.
    pub slow_ops: bool,
}

impl Target {
    pub const F32: Target = Target {
        precision: Precision::F32,
        slow_ops: false,
    };
    pub const F64: Target = Target {
        precision: Precision::F64,
        slow_ops: false,
    };
    pub const GPU: Target = Target {
        precision: Precision::F32,
        slow_ops: true,
    };
    pub fn eps(self) -> f64 {
        self.precision.eps()
    }
}
