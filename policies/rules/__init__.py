"""The rules of the pack, one module per area (limits, encryption, no-root, exposure, data, tags, images)."""
