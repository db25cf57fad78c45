"""Makes the bundled models: phases/, data, losses, run plumbing, export/import, the model card, recipes/."""
