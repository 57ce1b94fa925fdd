"""Small helpers shared by every layer: parameter checks, atomic files, the jit wrapper."""
