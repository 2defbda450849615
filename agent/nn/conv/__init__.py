"""2-D convolution: the seed article's strided window view, contracted three ways.

The seed article computed `einsum('bchwkt,fckt->bfhw', windows, weights)` on an `as_strided`
window view of the input. That formulation is kept as the specification, and three fast
methods evaluate the same contraction with hand-chosen GEMMs:

* `einsum.py`: the article's view and `np.einsum` for forward, weight and input gradient
  (`Conv2D(..., method="einsum")`); every fast method is tested against it.
* `cells.py`: space-to-depth (stride S becomes stride 1 over S*S times more channels,
  channels-last), a copy-free window view, one GEMM per kernel cell.
* `windows.py`: for layers with thin cells, one copy of a K-pixel-run window view (im2col)
  and one deep GEMM.
* `blank.py`: the cells method over the cells that are not all zero, for a first layer
  reading mostly black uint8 frames (no input gradient).
* `views.py`: the three read-only window views; `geometry.py`: output sizes, padded kernel
  counts and batch chunks; `layer.py`: the Conv2D class, which picks the method (`auto`)
  and runs batch chunks on worker threads (NumPy releases the GIL, so copies and adds use
  every core, not just the GEMMs), fusing bias and ReLU while each chunk is in cache.
"""

from .geometry import conv_output_size
from .layer import METHODS, Conv2D

__all__ = ["METHODS", "Conv2D", "conv_output_size"]
