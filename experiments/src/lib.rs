#![doc = include_str!("../README.md")]
//!
//! ## Modules
//!
//! * [`symnmf`]: the SymNMF-Net paper's Tables 1–4 and Figs. 4.1–4.5.
//! * [`ganunet`]: the GAN-UNET paper's Table 1, its ablation, generalisation, inference time.
//! * [`plot`]: line plots (SVG and PNG); [`files`]: reading what finished cells left;
//!   [`text`]: the reports' long prose as templates.

pub mod files;
pub mod ganunet;
pub use nmfnet_app::plot;
pub mod symnmf;
pub mod text;
