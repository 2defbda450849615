"""The PyTorch reference of `bench conv`, run in a process of its own by benchmarks/conv.py.

Run by path (`python benchmarks/torch_conv_reference.py`), it imports only the standard
library and torch, never the project: the two thread pools stay apart. It speaks one JSON
value per line:

1. stdin's first line is the configuration: {"threads", "seed" (the seed case, as
   benchmarks.conv.SEED_CASE), "layers" (the network as [kind, *args] specs), "input_shape",
   "batch"};
2. its first stdout line is {"torch": version, "threads": n}, or {"error": why} when torch
   cannot be imported (it then exits with status 0);
3. then every stdin line names a job and is answered with the seconds one run of it took.
   Jobs: "seed forward", "seed forward+backward", "layer <i> forward[+backward]" for each
   conv and dense layer (i counts the specs), "net forward", "net forward+backward" and
   "net forward+backward, 1 thread".
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Callable

#: A job: what to run, and on how many threads.
Job = tuple[Callable[[], None], int]


def seed_jobs(torch: Any, seed: dict, threads: int) -> dict[str, Job]:
    """The seed article's layer: forward, and forward+backward to weights and bias."""
    functional = torch.nn.functional
    x = torch.rand(seed["batch"], seed["channels"], seed["size"], seed["size"])
    w = torch.rand(seed["kernels"], seed["channels"], seed["kernel"], seed["kernel"])
    b = torch.rand(seed["kernels"])
    w_grad, b_grad = w.clone().requires_grad_(True), b.clone().requires_grad_(True)

    def forward() -> None:
        with torch.no_grad():
            functional.conv2d(x, w, b, stride=seed["stride"])

    def forward_backward() -> None:
        w_grad.grad = None
        b_grad.grad = None
        functional.conv2d(x, w_grad, b_grad, stride=seed["stride"]).sum().backward()

    return {"seed forward": (forward, threads), "seed forward+backward": (forward_backward, threads)}


def build_modules(torch: Any, layers: list[list], input_shape: list[int]) -> list[Any]:
    """torch modules for [kind, *args] specs (conv: out_channels, kernel, stride[, padding])."""
    c, h, w = input_shape
    modules: list[Any] = []
    features = None
    for kind, *args in layers:
        if kind == "conv":
            out, k, s = args[:3]
            p = args[3] if len(args) > 3 else 0
            modules.append(torch.nn.Conv2d(c, out, k, s, p))
            c, h, w = out, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif kind == "relu":
            modules.append(torch.nn.ReLU())
        elif kind == "flatten":
            modules.append(torch.nn.Flatten())
            features = c * h * w
        elif kind == "dense":
            modules.append(torch.nn.Linear(features, args[0]))
            features = args[0]
    return modules


def network_jobs(torch: Any, config: dict, threads: int) -> dict[str, Job]:
    """Each conv and dense layer of the agent network on its real input, then the whole net."""
    modules = build_modules(torch, config["layers"], config["input_shape"])
    net = torch.nn.Sequential(*modules)
    x = torch.rand(config["batch"], *config["input_shape"])
    jobs: dict[str, Job] = {}
    layer_in = x
    for i, module in enumerate(modules):
        with torch.no_grad():
            layer_out = module(layer_in)
        if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
            grad_in = layer_in.clone().requires_grad_(i > 0)  # the first layer needs no dL/dx

            def forward(module: Any = module, layer_in: Any = layer_in) -> None:
                with torch.no_grad():
                    module(layer_in)

            def forward_backward(module: Any = module, grad_in: Any = grad_in) -> None:
                module.zero_grad(set_to_none=True)
                grad_in.grad = None
                module(grad_in).sum().backward()

            jobs[f"layer {i} forward"] = (forward, threads)
            jobs[f"layer {i} forward+backward"] = (forward_backward, threads)
        layer_in = layer_out

    def net_forward() -> None:
        with torch.no_grad():
            net(x)

    def net_forward_backward() -> None:
        net.zero_grad(set_to_none=True)
        net(x).sum().backward()

    jobs["net forward"] = (net_forward, threads)
    jobs["net forward+backward"] = (net_forward_backward, threads)
    jobs["net forward+backward, 1 thread"] = (net_forward_backward, 1)
    return jobs


def serve(torch: Any, jobs: dict[str, Job], threads: int) -> None:
    """Answer each job name on stdin with the seconds one run took, until stdin closes."""
    for line in sys.stdin:
        run, job_threads = jobs[json.loads(line)]
        if job_threads != threads:
            torch.set_num_threads(job_threads)
        started = time.perf_counter()
        run()
        seconds = time.perf_counter() - started
        if job_threads != threads:
            torch.set_num_threads(threads)
        print(json.dumps(seconds), flush=True)


def main() -> None:
    try:
        import torch
        import torch.nn.functional  # noqa: F401  (conv2d)
    except Exception as exc:
        print(json.dumps({"error": f"PyTorch not available ({type(exc).__name__}: {exc})"}), flush=True)
        sys.exit(0)
    config = json.loads(sys.stdin.readline())
    torch.manual_seed(0)
    threads = config["threads"]
    torch.set_num_threads(threads)
    jobs = {**seed_jobs(torch, config["seed"], threads), **network_jobs(torch, config, threads)}
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    serve(torch, jobs, threads)


if __name__ == "__main__":
    main()
