//! GAN-UNET (Wei, "GAN-UNET: Non-negative Matrix Factorization Using Deep Neural Networks"):
//! the NMF `Y ≈ HW` of a group of 40 images in one forward pass of a U-Net generator with ReLU
//! heads for H (basis images) and W (weights), trained against a PatchGAN discriminator with
//! PCA disturbing (SPEC §5). Not implemented yet; it will be trained by the one training loop
//! of `nmfnet-train` through its `Task` trait, like SymNMF-Net.
