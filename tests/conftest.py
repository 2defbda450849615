"""Test configuration: everything runs headless."""

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
# OpenBLAS picks its matrix kernels by the CPU (AVX2, AVX-512), and they round differently, so the
# golden training record (tests/golden) would hold on one machine and not on the next. Pin the
# AVX2 kernels, which every x86-64 machine the suite runs on has, before numpy is first imported.
os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
