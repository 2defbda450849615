"""Where the PPO update runs: in the player's process, or in a second one that overlaps with play.

:func:`agent.ppo.ppo_update` is steps 2-3 of a training round (advantages by GAE, then epochs
of minibatch PPO steps).

Two learners run it behind one small interface (``submit(rollout, lr, seed)``, then
``result() -> (weights, stats)``, ``state()``, ``close()``):

- :class:`InlineLearner` updates the trainer's own network at once;
- :class:`ProcessLearner` keeps a copy of the network and the optimizer in a second process
  ("spawn"), so while it learns from one rollout the trainer already plays the next one with the
  weights it has. That next rollout is one update behind, which PPO tolerates: its ratio is
  taken against the policy that actually played (as in IMPALA-style asynchronous PPO). On two
  cores this nearly doubles samples per second; each process computes with one thread.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from multiprocessing.process import BaseProcess

import numpy as np

from agent.nn import Adam
from agent.policy import ActorCritic, NetworkConfig
from agent.ppo import GradientReducer, PPOConfig, Rollout, ppo_update


class InlineLearner:
    """Learns at once, on the trainer's own network and optimizer (``reduce``: see
    :func:`agent.ppo.ppo_update`)."""

    def __init__(self, policy: ActorCritic, optimizer: Adam, config: PPOConfig,
                 reduce: GradientReducer | None = None) -> None:
        self.policy, self.optimizer, self.config, self.reduce = policy, optimizer, config, reduce
        self._stats: dict | None = None

    def submit(self, rollout: Rollout, lr: float, seed: int) -> None:
        self._stats = ppo_update(self.policy, self.optimizer, rollout, self.config, lr, np.random.default_rng(seed),
                                 self.reduce)

    def ready(self) -> bool:
        return self._stats is not None

    @property
    def pending(self) -> bool:
        """True while the result of the update submitted last has not been taken."""
        return self._stats is not None

    def result(self) -> tuple[dict[str, np.ndarray] | None, dict]:
        """(new weights, or None when they are already in the trainer's network; statistics)."""
        stats, self._stats = self._stats, None
        return None, stats

    def state(self) -> dict[str, np.ndarray]:
        return self.optimizer.state_dict()

    def close(self, abandon: bool = False) -> None:
        pass


def start_ignoring_ctrl_c(process: BaseProcess) -> None:
    """Start ``process`` (a "spawn" child) so that Ctrl-C never kills it: the parent decides.

    A terminal sends Ctrl-C's SIGINT to every process of the foreground group, children included.
    The parent's answer is to finish the update in progress and save, which needs its children
    alive. So SIGINT is ignored while the child is started: an ignored signal stays ignored
    through exec, and Python leaves an ignored SIGINT alone at start-up, so the child is covered
    from its first instruction (its main ignores SIGINT again, for a child started otherwise).
    """
    in_main_thread = threading.current_thread() is threading.main_thread()  # only it may set handlers
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main_thread else None
    try:
        process.start()
    finally:
        if in_main_thread:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


def _learner_main(conn, obs_shape, network: dict, config: PPOConfig, params, adam_state) -> None:
    """The second process: waits for rollouts, learns, sends weights back."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the trainer's to answer (it stops us)
    policy = ActorCritic(obs_shape, NetworkConfig.from_dict(network), threads=1)
    policy.set_params(params)
    optimizer = Adam(policy.params(), lr=config.learning_rate)
    optimizer.load_state_dict(adam_state)
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the trainer is gone
            return
        if message[0] == "learn":
            _, arrays, lr, seed = message
            try:
                stats = ppo_update(policy, optimizer, Rollout(**arrays), config, lr, np.random.default_rng(seed))
                reply = ("ok", policy.get_params(), stats)
            except Exception as error:  # report it to the trainer rather than dying silently
                reply = ("error", repr(error), None)
        elif message[0] == "state":
            reply = ("ok", optimizer.state_dict(), None)
        else:
            return
        try:
            conn.send(reply)
        except OSError:  # the trainer is gone (it was stopped or killed): nothing to report to
            return


class ProcessLearner:
    """Learns in a second process; ``result`` waits for the update submitted last."""

    def __init__(self, policy: ActorCritic, optimizer: Adam, config: PPOConfig) -> None:
        context = mp.get_context("spawn")
        self._conn, child = context.Pipe()
        saved = os.environ.get("OPENBLAS_NUM_THREADS")
        os.environ["OPENBLAS_NUM_THREADS"] = "1"  # read by the child's NumPy at import
        try:
            self._process = context.Process(
                target=_learner_main,
                args=(child, policy.obs_shape, policy.config.to_dict(), config, policy.get_params(),
                      optimizer.state_dict()),
                daemon=True,
                name="ppo-learner",
            )
            start_ignoring_ctrl_c(self._process)
        finally:
            if saved is None:
                del os.environ["OPENBLAS_NUM_THREADS"]
            else:
                os.environ["OPENBLAS_NUM_THREADS"] = saved
        child.close()
        self._waiting = False

    def submit(self, rollout: Rollout, lr: float, seed: int) -> None:
        self._conn.send(("learn", rollout.arrays(), lr, seed))
        self._waiting = True

    def _receive(self):
        try:
            status, payload, stats = self._conn.recv()
        except EOFError:
            raise RuntimeError("the learner process stopped unexpectedly") from None
        if status != "ok":
            raise RuntimeError(f"the learner process failed: {payload}")
        return payload, stats

    def ready(self) -> bool:
        """True when the update submitted last has finished (``result`` will not wait)."""
        return self._waiting and self._conn.poll()

    @property
    def pending(self) -> bool:
        """True while the result of the update submitted last has not been taken (it may still run)."""
        return self._waiting

    def result(self) -> tuple[dict[str, np.ndarray], dict]:
        self._waiting = False
        return self._receive()

    def state(self) -> dict[str, np.ndarray]:
        """The optimizer's state (call between updates)."""
        self._conn.send(("state",))
        return self._receive()[0]

    def close(self, abandon: bool = False) -> None:
        """Stop the process: after the update in progress, or at once when ``abandon``."""
        if abandon and self._process.is_alive():
            self._process.terminate()  # the update in progress is dropped; nothing of it is kept
            self._process.join(timeout=10)
        if self._process.is_alive():
            try:
                if self._waiting:
                    self._receive()
                self._conn.send(("stop",))
            except (OSError, EOFError, RuntimeError):
                pass
            self._process.join(timeout=10)
            if self._process.is_alive():
                self._process.terminate()
        self._conn.close()
