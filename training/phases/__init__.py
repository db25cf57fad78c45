"""The training phases, one module each: the autoencoder and its decoder stages, the world CLIP, the text encoder +
UNet, and the tune stages that continue it. ``training.train`` runs them from the command line."""
