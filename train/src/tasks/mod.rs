//! The models as [`crate::task::Task`]s of the loop, generic over the backend: SymNMF-Net
//! (one full-batch epoch per step) and GAN-UNET (one discriminator and one generator update per
//! step), with what both need around them (host ↔ device copies, the generator's evaluation).

mod contiguous;
pub mod gan_eval;
pub mod ganunet;
pub mod symnmf;
pub mod transfer;
