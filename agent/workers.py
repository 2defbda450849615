"""Training on every core: N worker processes that each play and learn, their gradients averaged.

One learner process caps a run at the speed of its one core: the PPO update is about half the
work of a sample, so a single learner fed by any number of players cannot take more than about
twice what one process does alone. So the work is split the other way, as in DD-PPO (Wijmans et
al. 2020): each of ``N`` workers is a whole :class:`agent.trainer.Trainer` over its share of the
matches (its own scripted opponents, snapshots, league and random generators), and the workers
learn together. At every minibatch step each worker computes the gradient of its own
minibatch; :class:`GradientAverager` averages them over all workers (weighted by minibatch size,
so it is the gradient of the union of the minibatches) through one shared-memory array, and
every worker takes the same Adam step. The workers' weights stay identical, to the bit, with no
weights sent around; the policy that plays is always the one just learned (on-policy, unlike a
learner one update behind).

:class:`WorkerPool` is the run seen from the main process: the same interface as ``Trainer``
(``train_one_update``, ``evaluate``, ``state`` / ``restore``, ``close``, ``policy``, counters),
so the training session does not know how many processes there are. It keeps a copy of the
weights (sent by worker 0 after each update: 1.4 MB), evaluates with it, and saves every
worker's state in one checkpoint, so a resumed run continues exactly for the same ``N``. The
league table and Elo a run reports are worker 0's (each worker rates its own matches; their
members are the same bots and agents, and snapshots of the same weights).

How it scales: per update a worker sends nothing but its gradient rows into shared memory
(``update_epochs * num_minibatches`` = 16 times 1.4 MB per update by default) and meets the
others at a barrier after each of those steps; the main process gets one small message per
worker and update. What grows with ``N`` is the small-batch cost and the waiting: with the
default 32 matches (40 streams), 8 workers act on 5 streams each and learn from minibatches
of 20 samples, where a network is less efficient per sample than at 160, and at every
barrier the slowest worker sets the pace. Give more matches (``--num-matches``) with more
workers.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
from dataclasses import asdict, replace
from multiprocessing.connection import Connection, wait

import numpy as np

from agent import saves
from agent.learner import start_ignoring_ctrl_c
from agent.other_eyes import LeagueAgent, agents_from_state, agents_state
from agent.policy import ActorCritic, NetworkConfig, count_weights
from agent.trainer import (TrainConfig, Trainer, TrainingDiverged, check_finite, evaluation, evaluation_due,
                           evaluation_part, summarize_evaluation)
from game.env import ObservationConfig, Rules, derive_seed, saved_observation

MAX_DEFAULT_WORKERS = 8
STAT_SLOTS = 16  # room after the gradients for a minibatch step's loss statistics
WORKER_SEED = 7  # worker w's seed is derive_seed(run seed, WORKER_SEED, w)
#: Seconds of an update each worker reports in a metrics row's "per_worker": playing (acting,
#: the matches), learning, and of the learning the time spent waiting for the other workers.
WORKER_TIMES = ("rollout_s", "act_s", "env_s", "learn_s", "wait_s")


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def worker_count(config: TrainConfig, cores: int | None = None) -> int:
    """How many workers a run uses: ``config.workers``, or (0) one per core, at most
    :data:`MAX_DEFAULT_WORKERS`; never more than there are matches, nor so many that a worker's
    rollout would be smaller than ``num_minibatches`` samples."""
    wanted = config.workers or min(cores or available_cores(), MAX_DEFAULT_WORKERS)
    count = max(1, min(wanted, config.num_matches))
    while count > 1 and min(2 * s + g for s, g in _deal(config, count)) * config.num_steps < config.num_minibatches:
        count -= 1
    return count


def _deal(config: TrainConfig, count: int) -> list[tuple[int, int]]:
    """(self-play matches, league matches) of each worker: each match to the worker with the
    fewest learning streams so far (two per self-play match, one per league match)."""
    self_play = [0] * count
    league = [0] * count
    for match in range(config.num_matches):
        streams = [2 * s + g for s, g in zip(self_play, league)]
        worker = int(np.argmin(streams))
        if match < config.self_play_matches:
            self_play[worker] += 1
        else:
            league[worker] += 1
    return list(zip(self_play, league))


def shard_configs(config: TrainConfig, count: int) -> list[TrainConfig]:
    """Each worker's settings: its matches (self-play ones first, as a Trainer has them), dealt so
    that the learning streams are as even as possible; its own seed; learning inline; no
    evaluations (the pool evaluates)."""
    return [replace(config, num_matches=sp + league, self_play_matches=sp,
                    seed=derive_seed(config.seed, WORKER_SEED, w), learner_process=False, eval_every=0, workers=1)
            for w, (sp, league) in enumerate(_deal(config, count))]


class GradientAverager:
    """Averages each minibatch step's gradients and statistics over the workers, in place.

    Worker ``index`` of ``count`` writes its gradients, times its share of the samples, into its
    row of a shared (2, count, P + STAT_SLOTS) float32 array, waits at the barrier, and then
    every worker adds up the rows in the same order, so all get the same bits. Steps alternate
    between the two halves: a half is written again only after the next barrier, which nobody
    passes before everyone has read it.
    """

    def __init__(self, shared, index: int, count: int, share: float, barrier) -> None:
        self.index, self.count, self.share, self.barrier = index, count, share, barrier
        self.rows = np.frombuffer(shared, np.float32).reshape(2, count, -1)
        self.step = 0
        self.waited_s = 0.0  # time spent at the barrier, waiting for slower workers

    def __call__(self, grads: dict[str, np.ndarray], stats: dict[str, float]) -> None:
        half = self.rows[self.step % 2]
        self.step += 1
        mine = half[self.index]
        offset = 0
        for value in grads.values():
            np.multiply(value.reshape(-1), self.share, out=mine[offset:offset + value.size])
            offset += value.size
        keys = sorted(stats)
        mine[offset:offset + len(keys)] = [stats[k] * self.share for k in keys]
        tick = time.perf_counter()
        self.barrier.wait()
        self.waited_s += time.perf_counter() - tick
        total = half.sum(axis=0)  # row by row, in worker order: identical in every worker
        offset = 0
        for value in grads.values():
            value[...] = total[offset:offset + value.size].reshape(value.shape)
            offset += value.size
        for k, v in zip(keys, total[offset:offset + len(keys)].tolist()):
            stats[k] = v


def _worker_main(conn: Connection, index: int, count: int, share: float, shared, barrier, start: tuple) -> None:
    """Worker ``index``: builds (or restores) its Trainer, then answers the pool's messages."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to answer
    reduce = GradientAverager(shared, index, count, share, barrier)
    try:
        if start[0] == "new":
            _, config, observation, network, league_agents, params = start
            trainer = Trainer(config, observation, network, league_agents, reduce=reduce)
            trainer.policy.set_params(params)
        else:
            _, state, arrays = start
            trainer = Trainer.restore(state, arrays, reduce=reduce)
            reduce.step = 0
    except Exception as error:
        conn.send(("error", repr(error)))
        return
    conn.send(("ok", None))
    sent: set[str] = set()  # worker 0's snapshots the pool has (the watch window shows them)
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the pool is gone
            return
        try:
            if message[0] == "update":
                waited = reduce.waited_s
                row = trainer.train_one_update(message[1])
                row["wait_s"] = reduce.waited_s - waited
                first = index == 0
                snapshots = {n: net.get_params() for n, net in trainer.snapshots.items() if n not in sent} if first else {}
                sent = set(trainer.snapshots) if first else sent
                reply = ("ok", {"row": row, "global_step": trainer.global_step,
                                "matches_finished": trainer.matches_finished,
                                "league": trainer.league.state_dict(),
                                "opponents": list(trainer.opponent_now.values()),
                                "params": trainer.policy.get_params() if first else None,
                                "snapshots": snapshots, "snapshot_names": list(trainer.snapshots) if first else []})
            elif message[0] == "evaluate":  # this worker's share of an evaluation's matches
                _, matches, greedy = message
                reply = ("ok", evaluation_part(trainer.policy, trainer.observation, matches, greedy, trainer.rules,
                                               part=(index, count)))
            elif message[0] == "state":
                reply = ("ok", trainer.state())
            else:
                return
        except TrainingDiverged as error:
            reply = ("diverged", str(error))
        except Exception as error:  # reported to the pool rather than dying silently
            reply = ("error", repr(error))
        try:
            conn.send(reply)
        except OSError:
            return


class WorkerPool:
    """A training run over ``N`` worker processes, with :class:`agent.trainer.Trainer`'s interface."""

    def __init__(
        self,
        config: TrainConfig,
        observation: ObservationConfig = ObservationConfig(),
        network: NetworkConfig = NetworkConfig(),
        league_agents: dict[str, dict[str, np.ndarray] | LeagueAgent] | None = None,
        count: int | None = None,
    ) -> None:
        count = count or worker_count(config)
        self.config = replace(config, workers=count)
        self.count = count
        self.observation, self.network = observation, network
        self.rules = Rules(time_limit_s=config.match_time_limit_s)
        # the same first weights as a one-process run with this seed
        self.policy = ActorCritic(observation.shape, network, np.random.default_rng(derive_seed(config.seed, 2)))
        self.shards = shard_configs(self.config, count)
        self.league = config.new_league()
        self._league_agents = league_agents or {}
        self.update = 0
        self.global_step = 0
        self.elapsed_s = 0.0
        self.matches_finished = 0
        self.history: list[dict] = []
        self.snapshots: dict[str, ActorCritic] = {}  # worker 0's frozen opponents, by league name
        self.opponent_now: dict[int, str] = {}  # every worker's league matches: who plays there now
        self._restored: list[tuple[dict, dict]] | None = None  # worker states to start from
        self._conns: list[Connection] = []
        self._processes: list = []
        self._barrier = None
        self._in_flight = False  # a message sent whose replies have not all been taken

    # ------------------------------------------------------------------------------------
    def _start(self) -> None:
        context = mp.get_context("spawn")
        sizes = [shard.batch_size // shard.num_minibatches for shard in self.shards]
        shared = context.RawArray("f", 2 * self.count * (count_weights(self.policy.params()) + STAT_SLOTS))
        self._barrier = context.Barrier(self.count)
        saved = os.environ.get("OPENBLAS_NUM_THREADS")
        os.environ["OPENBLAS_NUM_THREADS"] = "1"  # one core per worker: read by each child's NumPy
        try:
            for w, shard in enumerate(self.shards):
                if self._restored is not None:
                    start = ("restore", *self._restored[w])
                else:
                    start = ("new", shard, self.observation, self.network, self._league_agents,
                             self.policy.get_params())
                parent, child = context.Pipe()
                process = context.Process(target=_worker_main, name=f"train-worker-{w}", daemon=True,
                                          args=(child, w, self.count, sizes[w] / sum(sizes), shared,
                                                self._barrier, start))
                start_ignoring_ctrl_c(process)
                child.close()
                self._conns.append(parent)
                self._processes.append(process)
        finally:
            if saved is None:
                del os.environ["OPENBLAS_NUM_THREADS"]
            else:
                os.environ["OPENBLAS_NUM_THREADS"] = saved
        self._restored = None
        self._gather()  # each worker says it is ready

    def _gather(self) -> list:
        """Every worker's reply to the message just sent; a failure of any stops them all."""
        replies: dict[int, object] = {}
        waiting = dict(enumerate(self._conns))
        while waiting:
            for conn in wait(list(waiting.values())):
                w = next(k for k, c in waiting.items() if c is conn)
                try:
                    status, payload = conn.recv()
                except EOFError:
                    status, payload = "error", f"worker {w} stopped unexpectedly"
                del waiting[w]
                if status != "ok":
                    self._barrier.abort()  # the others may be waiting for this one's gradient
                    self.close(abandon=True)
                    if status == "diverged":
                        raise TrainingDiverged(payload)
                    raise RuntimeError(f"training worker {w} failed: {payload}")
                replies[w] = payload
        return [replies[w] for w in range(self.count)]

    def _send(self, message: tuple) -> list:
        if not self._conns:
            self._start()
        if self._in_flight:  # the last message's replies were never taken (Ctrl-C while waiting)
            self._gather()
        for conn in self._conns:
            conn.send(message)
        self._in_flight = True
        replies = self._gather()
        self._in_flight = False
        return replies

    # ------------------------------------------------------------------------------------
    def train_one_update(self, progress: float) -> dict:
        """Every worker learns from its last rollout (together) and plays its next; one metrics row."""
        started = time.perf_counter()
        replies = self._send(("update", progress))
        self.policy.set_params(replies[0]["params"])
        self.update += 1
        self.global_step = sum(r["global_step"] for r in replies)
        self.matches_finished = sum(r["matches_finished"] for r in replies)
        self.league.load_state_dict(replies[0]["league"])
        for name, params in replies[0]["snapshots"].items():
            frozen = ActorCritic(self.observation.shape, self.network)
            frozen.set_params(params)
            self.snapshots[name] = frozen
        self.snapshots = {n: self.snapshots[n] for n in replies[0]["snapshot_names"] if n in self.snapshots}
        opponents = [name for r in replies for name in r["opponents"]]
        self.opponent_now = dict(enumerate(opponents))
        rows = [r["row"] for r in replies]
        row = dict(rows[0])  # losses are already averaged over the workers
        row["update"], row["step"] = self.update, self.global_step
        for key in ("rollout_s", "act_s", "env_s", "learn_s"):
            row[key] = max(r[key] for r in rows)  # the slowest worker sets the pace
        # each worker's own times; wait_s: at the gradient barrier, for the slower ones
        row["per_worker"] = [{key: r[key] for key in WORKER_TIMES} for r in rows]
        row["wait_s"] = float(np.mean([r["wait_s"] for r in rows]))
        lengths = [r["episode_ticks"] for r in rows if r["episode_ticks"] is not None]
        row["episode_ticks"] = float(np.mean(lengths)) if lengths else None
        aims = [r["aim_error_deg"] for r in rows if r["aim_error_deg"] is not None]
        row["aim_error_deg"] = float(np.mean(aims)) if aims else None
        train_vs: dict[str, list[float]] = {}
        for r in rows:
            for k, v in r["train_vs"].items():
                train_vs.setdefault(k, []).append(v)
        row["train_vs"] = {k: float(np.mean(v)) for k, v in train_vs.items()}
        row["workers"] = self.count
        if evaluation_due(self.update, self.config.eval_every):
            tick = time.perf_counter()
            row["eval"] = self.evaluate()
            row["eval_s"] = time.perf_counter() - tick
        self.elapsed_s += time.perf_counter() - started
        row["elapsed_s"] = self.elapsed_s
        row["steps_per_s"] = self.config.batch_size / max(time.perf_counter() - started, 1e-9)
        return row

    def evaluate(self, matches: int | None = None, greedy: bool = True) -> dict:
        """As :meth:`agent.trainer.Trainer.evaluate`, with the weights of the last update: the
        workers play a share of the matches each (every core busy), or the main process plays
        them all when no worker runs."""
        matches = matches or self.config.eval_matches
        if self._conns:
            out = summarize_evaluation(self._send(("evaluate", matches, greedy)))
        else:
            out = evaluation(self.policy, self.observation, matches, greedy, self.rules)
        self.history.append({"step": self.global_step, "elapsed_s": self.elapsed_s, **out})
        return out

    def check_finite(self) -> None:
        """TrainingDiverged unless the weights of the last update are finite numbers."""
        check_finite(self.policy.params(), self.update)

    def close(self, abandon: bool = False) -> None:
        """Stop the workers (they can start again: a later update restarts them from their state)."""
        if not self._conns:
            return
        if not abandon:
            self._restored = self._worker_states()
        for conn in self._conns:
            try:
                conn.send(("stop",))
            except OSError:
                pass
        for process in self._processes:
            process.join(timeout=10 if not abandon else 1)
            if process.is_alive():
                process.terminate()
                process.join(timeout=10)
        for conn in self._conns:
            conn.close()
        self._conns, self._processes = [], []
        self._in_flight = False

    def _worker_states(self) -> list[tuple[dict, dict]]:
        if self._restored is not None:
            return self._restored
        if not self._conns:  # nothing played yet: fresh workers would start the same way
            return []
        return [tuple(reply) for reply in self._send(("state",))]

    # ------------------------------------------------------------------------------------
    # saving and resuming
    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON-compatible state, named arrays) of the whole run: the pool's counters and each
        worker's trainer state (the weights and optimizer moments once: they are the same)."""
        arrays: dict[str, np.ndarray] = {f"param/{k}": v.copy() for k, v in self.policy.params().items()}
        shards = []
        for w, (state, worker_arrays) in enumerate(self._worker_states()):
            for key, value in worker_arrays.items():
                if key.startswith("adam/") and w == 0:
                    arrays[key] = value
                elif not key.startswith(("param/", "adam/")):
                    arrays[f"worker{w}/{key}"] = value
            shards.append(state)
        state = {
            "config": asdict(self.config),
            "observation": asdict(self.observation),
            "network": self.network.to_dict(),
            "workers": self.count,
            "update": self.update,
            "global_step": self.global_step,
            "elapsed_s": self.elapsed_s,
            "matches_finished": self.matches_finished,
            "history": self.history,
            "league": self.league.state_dict(),
            "shards": shards,
        }
        if not shards:  # nothing played yet: the workers start afresh on resume, and need the league's agents
            state["league_agents"], agent_arrays = agents_state({
                name: params if isinstance(params, LeagueAgent) else LeagueAgent(params, self.observation, self.network)
                for name, params in self._league_agents.items()})
            arrays.update({f"league/{k}": v for k, v in agent_arrays.items()})
        return state, arrays

    @classmethod
    def restore(cls, state: dict, arrays: dict[str, np.ndarray]) -> WorkerPool:
        """A pool continuing exactly where :meth:`state` was taken (same number of workers)."""
        config = TrainConfig(**state["config"])
        observation = ObservationConfig(**saved_observation(state["observation"]))
        network = NetworkConfig.from_dict(state["network"])
        agents = agents_from_state(state.get("league_agents", {}),
                                   {k[7:]: v for k, v in arrays.items() if k.startswith("league/")})
        league_agents = {name: agent.params if (agent.observation, agent.network) == (observation, network) else agent
                         for name, agent in agents.items()}
        pool = cls(config, observation, network, league_agents, count=state["workers"])
        pool.policy.set_params({k[6:]: v for k, v in arrays.items() if k.startswith("param/")})
        pool.update, pool.global_step = state["update"], state["global_step"]
        pool.elapsed_s, pool.matches_finished = state["elapsed_s"], state["matches_finished"]
        pool.history = state["history"]
        pool.league.load_state_dict(state["league"])
        shared = {k: v for k, v in arrays.items() if k.startswith(("param/", "adam/"))}
        if state["shards"]:
            pool._restored = []
            for w, shard in enumerate(state["shards"]):
                prefix = f"worker{w}/"
                own = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
                pool._restored.append((shard, {**shared, **own}))
        return pool


def make_trainer(config: TrainConfig, observation: ObservationConfig = ObservationConfig(),
                 network: NetworkConfig = NetworkConfig(),
                 league_agents: dict[str, dict[str, np.ndarray] | LeagueAgent] | None = None) -> Trainer | WorkerPool:
    """The run ``config`` asks for: one :class:`Trainer` for one worker, else a :class:`WorkerPool`."""
    count = worker_count(config)
    if count == 1:
        return Trainer(replace(config, workers=1), observation, network, league_agents)
    return WorkerPool(config, observation, network, league_agents, count)


def restore_trainer(state: dict, arrays: dict[str, np.ndarray]) -> Trainer | WorkerPool:
    """The run a checkpoint holds (one trainer, or a pool of workers)."""
    if "shards" in state:
        return WorkerPool.restore(state, arrays)
    return Trainer.restore(state, arrays)
