"""The Qt layer: drives the core, never the stores directly."""
