"""The online learning loop: play a batch of matches, learn from them, play on. Resumable.

Reads top to bottom like cleanrl's ``ppo_atari.py``: :class:`TrainConfig` holds every
hyperparameter (each field described; ``python main.py train`` mirrors them as options), and
:meth:`Trainer.train_one_update` is one round of

1. collect a rollout: ``num_steps`` decisions in each of ``num_matches`` matches. The first
   ``self_play_matches`` matches are the learner against itself (both sides learn); in the
   others the learner (player 1) meets an opponent drawn from the :class:`agent.league.League`
   (scripted bots and frozen snapshots of itself, harder ones more often);
2. advantages by GAE, with potential-based aim shaping added to the game's reward;
3. ``update_epochs`` epochs of minibatch PPO updates (Adam, gradient clipping, annealed lr);
4. bookkeeping: league snapshot, Elo, evaluation against ``random`` and ``aimbot`` on a fixed
   set of seeds (after update :data:`FIRST_EVALUATION`, so a chart has a first point early, and
   then every ``eval_every`` updates), metrics.

After every update the new weights are checked to be finite numbers: a run that diverges stops
with :class:`TrainingDiverged` before it plays or saves with them.

Aim shaping: the env gives each learning stream's potential (:mod:`game.env.rewards`: with both
ships alive, ``-aim_shaping * |aim error| / pi``, the aim error being the angle between the
learner's heading and the bearing to the opponent, optionally plus ``dodge_shaping`` times the
opponent's aim error at the learner and minus ``open_shaping`` times its closeness to a wall),
and each step's reward gets ``gamma * potential(next) -
potential(now)``. Potential-based shaping leaves the optimal policy unchanged (Ng et al. 1999)
but tells the learner early which way to turn.

Everything that changes during training (weights, optimizer moments, counters, random
generators, league, the matches in flight) is saved by :meth:`Trainer.state` and restored by
:meth:`Trainer.restore`, so a run stopped and resumed gives the same weights as one that never
stopped.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from agent import saves
from agent.learner import InlineLearner, ProcessLearner
from agent.league import WEIGHTINGS, League
from agent.nn import Adam
from agent.nn.blas import blas_thread_limit
from agent.other_eyes import LeagueAgent, OtherEyesAgents
from agent.policy import ActorCritic, NetworkConfig
from agent.ppo import GradientReducer, PPOConfig, Rollout, RolloutBuffer, ppo_setting, ppo_update
from agent.settings import setting
from game.env import BOT_NAMES, BatchDuelEnv, ObservationConfig, Rules, derive_seed, make_bot, saved_observation

EVAL_SEED = 20261126  # evaluations always use the same matches, so they compare across time
EVAL_OPPONENTS = ("random", "aimbot")
FIRST_EVALUATION = 5  # the update after which a run first evaluates (then every eval_every updates)


class TrainingDiverged(saves.SaveError):
    """The weights are no longer finite numbers (the learning blew up): they are never saved."""


@dataclass
class TrainConfig(PPOConfig):
    """Hyperparameters of a training run (PPO's, and the run's own below); saved with the agent."""

    # One pass over each rollout in 16 minibatches, of 32 matches x 64 decisions: the same 2,560
    # samples and 16 Adam steps an update as two passes in 8 over 16 x 128, at about 1.4x the
    # samples a second (docs/learning-log.md, 2026-12-02: the 60-minute check).
    num_minibatches: int = ppo_setting("num_minibatches", 16)
    update_epochs: int = ppo_setting("update_epochs", 1)
    seed: int = setting(1, "seed of every random draw of the run", 0, 2**32 - 1)
    num_matches: int = setting(32, "matches played at once", 1, 256)
    self_play_matches: int = setting(8, "of those, matches of the learner against itself", 0, 256)
    num_steps: int = setting(64, "decisions per match in each rollout", 1, 4096)
    anneal_lr: bool = setting(True, "decay the learning rate linearly to 0 over the budget")
    match_time_limit_s: float = setting(60.0, "training matches end in a draw after this", 1.0, 3600.0)
    snapshot_every: int = setting(20, "updates between frozen snapshots in the league (0: never)", 0, None)
    max_snapshots: int = setting(2, "snapshots kept in the league (few: the aimbot gets more matches)", 0, 100)
    league_bots: str = setting("idle,random,rookie,aimbot",
                               "opponents in the league, comma-separated: scripted bots and saved agents (frozen)")
    pfsp: str = setting("variance", "how league opponents are drawn: variance (most often those the learner "
                                    "beats about half the time) or hard (those it loses to most)")
    league_shares: str = setting("", "fixed shares of the league's matches, comma-separated NAME=FRACTION (e.g. "
                                     "aimbot=0.3): those opponents get that share whatever the learner scores "
                                     "against them; pfsp draws the others")
    learner_process: bool = setting(
        True, "with one worker: learn in a second process while the next rollout is played (two cores)")
    workers: int = setting(
        0, "processes that each play a share of the matches and learn from it, their gradients averaged "
           "(0: one per core, at most 8)", 0, 64)
    eval_every: int = setting(40, "updates between evaluations (0: never)", 0, None)
    eval_matches: int = setting(20, "matches per evaluation opponent", 1, 1000)

    def __post_init__(self) -> None:
        super().__post_init__()  # every field's type and range
        if self.self_play_matches > self.num_matches:
            raise ValueError(f"self_play_matches must be between 0 and num_matches, {self.num_matches} "
                             f"(got {self.self_play_matches})")
        if self.num_minibatches > self.batch_size:
            raise ValueError(f"num_minibatches must be between 1 and the samples in a rollout, {self.batch_size} "
                             f"(got {self.num_minibatches})")
        if self.pfsp not in WEIGHTINGS:
            raise ValueError(f"pfsp must be one of {', '.join(WEIGHTINGS)} (got {self.pfsp!r})")
        shares = self.shares  # checks the form of every NAME=FRACTION
        for name, _ in shares:
            if name not in self.league_names:
                raise ValueError(f"league_shares names {name!r}, which is not in the league (league_bots)")
        total = sum(share for _, share in shares)
        if total > 1.0 + 1e-9:
            raise ValueError(f"league_shares must add up to at most 1 (got {total:g})")
        # names that are not bots are saved agents: the training session loads (and checks) them
        if not self.league_names and self.self_play_matches < self.num_matches:
            raise ValueError("league_bots must name at least one opponent while some matches are against the league "
                             "(self_play_matches < num_matches)")

    @property
    def bots(self) -> tuple[str, ...]:
        """The league's scripted bots."""
        return tuple(b for b in self.league_names if b in BOT_NAMES)

    @property
    def league_agents(self) -> tuple[str, ...]:
        """The saved agents in the league (names that are not bots; the session loads them)."""
        return tuple(b for b in self.league_names if b not in BOT_NAMES)

    @property
    def league_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(b.strip() for b in self.league_bots.split(",") if b.strip()))

    @property
    def shares(self) -> tuple[tuple[str, float], ...]:
        """``league_shares`` as (name, fraction) pairs; ValueError for a malformed entry."""
        pairs: dict[str, float] = {}
        for entry in (e.strip() for e in self.league_shares.split(",")):
            if not entry:
                continue
            name, sep, number = (part.strip() for part in entry.partition("="))
            try:
                share = float(number)
            except ValueError:
                share = math.nan
            if not sep or not name or not 0.0 < share <= 1.0:
                raise ValueError(f"league_shares must be NAME=FRACTION entries with a fraction above 0 and at most 1 "
                                 f"(got {entry!r})")
            pairs[name] = share
        return tuple(pairs.items())

    def new_league(self) -> League:
        """The league this run starts with: its bots and saved agents, weighting and shares."""
        return League(bots=self.bots, max_snapshots=self.max_snapshots, agents=self.league_agents,
                      weighting=self.pfsp, shares=self.shares)

    @property
    def num_streams(self) -> int:
        """Learning streams: two per self-play match, one per league match."""
        return 2 * self.self_play_matches + (self.num_matches - self.self_play_matches)

    @property
    def batch_size(self) -> int:
        return self.num_streams * self.num_steps

    @property
    def minibatch_size(self) -> int:
        return self.batch_size // self.num_minibatches


def _learner_score(winner: int | None, learner: int) -> float:
    return 0.5 if winner is None else float(winner == learner)


class Trainer:
    """Owns the network, optimizer, league and matches of one training run."""

    def __init__(
        self,
        config: TrainConfig = TrainConfig(),
        observation: ObservationConfig = ObservationConfig(),
        network: NetworkConfig = NetworkConfig(),
        league_agents: dict[str, dict[str, np.ndarray] | LeagueAgent] | None = None,
        reduce: GradientReducer | None = None,
    ) -> None:
        """``league_agents``: each saved agent named in ``config.league_bots``: its weights when it
        sees and thinks as the learner does (it acts on the learner's observations of player 2),
        else a :class:`agent.other_eyes.LeagueAgent` (its own frames are drawn for it); a restored
        trainer gets them from its checkpoint instead. ``reduce``: this trainer is one worker of several
        (:mod:`agent.workers`); it learns inline and averages its gradients with the others'."""
        self.config = config
        self.reduce = reduce
        self.observation = observation
        self.network = network
        self.rules = Rules(time_limit_s=config.match_time_limit_s)
        self.rng = np.random.default_rng(derive_seed(config.seed, 1))
        # with a learner process, or as one of several workers, each process computes on one core
        self.threads = 1 if config.learner_process or reduce is not None else None
        self.policy = ActorCritic(observation.shape, network, np.random.default_rng(derive_seed(config.seed, 2)),
                                  threads=self.threads)
        self._learner: InlineLearner | ProcessLearner | None = None
        self.pending: Rollout | None = None  # played, not yet learned from
        self.optimizer = Adam(self.policy.params(), lr=config.learning_rate)
        self.league = config.new_league()
        self.snapshots: dict[str, ActorCritic] = {}  # frozen networks by league name: snapshots and agents
        other_eyes = {}
        for name, params in (league_agents or {}).items():
            if isinstance(params, LeagueAgent):
                other_eyes[name] = params
                continue
            frozen = ActorCritic(observation.shape, network, threads=self.threads)
            frozen.set_params(params)
            self.snapshots[name] = frozen
        self.other_eyes = OtherEyesAgents(other_eyes, observation, threads=self.threads)
        self.env = BatchDuelEnv(config.num_matches, rules=self.rules, observation=observation,
                                rewards=config.rewards, copy=False)

        # learning streams: (match slot, player)
        sp = config.self_play_matches
        self.stream_slots = np.array([i for i in range(sp) for _ in (0, 1)] + list(range(sp, config.num_matches)))
        self.stream_players = np.array([p for _ in range(sp) for p in (0, 1)] + [0] * (config.num_matches - sp))
        self.opponent_now: dict[int, str] = {}  # league slot -> opponent of its current match
        self.opponent_next: dict[int, str] = {}  # league slot -> opponent of its next match

        # counters
        self.update = 0
        self.global_step = 0  # learner decisions made (samples collected)
        self.elapsed_s = 0.0  # training time so far, across resumed sessions
        self.matches_finished = 0
        self.history: list[dict] = []  # evaluations
        self._started = False
        self.next_done = np.ones(config.num_streams, bool)
        self.prev_potential = np.zeros(config.num_streams, np.float32)
        self._recent_lengths: list[int] = []
        self._aim_sum, self._aim_count = 0.0, 0  # aim errors seen during the current rollout
        self._recent_results: dict[str, list[float]] = {}

        self.buffer = RolloutBuffer(config.num_steps, config.num_streams, observation.shape)

    # ------------------------------------------------------------------------------------
    # opponents
    def _assign(self, slot: int, name: str) -> None:
        """Queue ``name`` as the opponent (player 2) of ``slot``'s next match."""
        self.opponent_next[slot] = name
        member = self.league.members[name]
        self.env.set_controller(slot, 1, make_bot(name) if member.kind == "bot" else None)

    def _start(self) -> None:
        """First reset of the matches, with opponents drawn for every league slot."""
        for slot in range(self.config.self_play_matches, self.config.num_matches):
            self._assign(slot, self.league.sample(self.rng))
        self.env.reset(seed=derive_seed(self.config.seed, 3))
        for slot in range(self.config.self_play_matches, self.config.num_matches):
            self.opponent_now[slot] = self.opponent_next[slot]
            self._assign(slot, self.league.sample(self.rng))
        self.prev_potential = self._potentials()
        self._started = True

    def _potentials(self) -> np.ndarray:
        """Shaping potential of every stream's current state (see :mod:`game.env.rewards`);
        also tallies the aim errors of the streams whose ships are both alive."""
        slots, players = self.stream_slots, self.stream_players
        errors = self.env.aim_errors(slots, players)
        for error in errors[~np.isnan(errors)].tolist():
            self._aim_sum += error
            self._aim_count += 1
        return self.env.potentials(slots, players)

    def _snapshot_actions(self, obs: np.ndarray, actions: np.ndarray) -> None:
        """Actions of the frozen snapshots playing player 2 in league slots (in place)."""
        groups: dict[str, list[int]] = {}
        for slot, name in self.opponent_now.items():
            if name in self.snapshots:
                groups.setdefault(name, []).append(slot)
        for name, slots in groups.items():
            chosen, *_ = self.snapshots[name].act(obs[slots, 1], self.rng)
            actions[slots, 1] = chosen

    def _drop_unused_snapshots(self) -> None:
        in_use = set(self.league.members) | set(self.opponent_now.values()) | set(self.opponent_next.values())
        for name in [n for n in self.snapshots if n not in in_use]:
            del self.snapshots[name]

    # ------------------------------------------------------------------------------------
    # 1. rollout
    def collect_rollout(self) -> dict:
        cfg = self.config
        if not self._started:
            self._start()
        slots, players = self.stream_slots, self.stream_players
        actions = np.zeros((cfg.num_matches, 2), np.int64)
        timing = {"act": 0.0, "env": 0.0}
        self._aim_sum, self._aim_count = 0.0, 0
        buffer = self.buffer
        for t in range(cfg.num_steps):
            obs = self.env.observations
            stream_obs = obs[slots, players]
            buffer.obs[t] = stream_obs
            buffer.dones[t] = self.next_done
            tick = time.perf_counter()
            chosen, logprobs, values, _ = self.policy.act(stream_obs, self.rng)
            buffer.actions[t], buffer.logprobs[t], buffer.values[t] = chosen, logprobs, values
            actions[:] = 0
            actions[slots, players] = chosen
            self._snapshot_actions(obs, actions)
            if self.other_eyes.agents:
                self.other_eyes.act(self.opponent_now, self.env.worlds, actions, self.rng)
            timing["act"] += time.perf_counter() - tick

            tick = time.perf_counter()
            _, rewards, terminated, truncated, infos = self.env.step(actions)
            timing["env"] += time.perf_counter() - tick
            ended = terminated | truncated
            stream_rewards = rewards[slots, players]

            # shaping: potential of the next state (0 for a state that ended the match)
            potential = self._potentials()
            stream_ended = ended[slots]
            next_potential = np.where(stream_ended, 0.0, potential)
            stream_rewards += cfg.gamma * next_potential - self.prev_potential
            self.prev_potential = potential  # for ended streams: the new match's first state

            # a match cut by the time limit is not an end of the task: bootstrap its value
            cut = np.flatnonzero(truncated[slots])
            if len(cut):
                final = np.stack([infos["final_observation"][slots[k]][players[k]] for k in cut])
                _, final_values = self.policy.forward(final, train=False)
                stream_rewards[cut] += cfg.gamma * final_values

            buffer.rewards[t] = stream_rewards
            self.next_done = stream_ended
            for slot in np.flatnonzero(ended):
                self.other_eyes.match_ended(int(slot))
                self._match_ended(int(slot), infos["final_info"][int(slot)])
            self.global_step += cfg.num_streams
        return timing

    def _match_ended(self, slot: int, info: dict) -> None:
        self.matches_finished += 1
        self._recent_lengths.append(info["tick"])
        del self._recent_lengths[:-100]
        if slot < self.config.self_play_matches:
            return
        opponent = self.opponent_now[slot]
        score = _learner_score(info["winner"], 0)
        self.league.record(opponent, score)
        kind = self.league.members[opponent].kind if opponent in self.league.members else "snapshot"
        key = "snapshots" if kind == "snapshot" else opponent
        results = self._recent_results.setdefault(key, [])
        results.append(score)
        del results[:-100]
        # the queued opponent has just started; queue the one after it
        self.opponent_now[slot] = self.opponent_next[slot]
        self._assign(slot, self.league.sample(self.rng))

    # ------------------------------------------------------------------------------------
    # 2.-3. advantages and PPO update
    def package_rollout(self) -> Rollout:
        """A copy of the rollout just collected, with the value of the observation after it."""
        next_obs = self.env.observations[self.stream_slots, self.stream_players]
        _, next_value = self.policy.forward(next_obs, train=False)
        return self.buffer.rollout(next_value, self.next_done)

    def learn(self, lr: float) -> dict:
        """Learn from the rollout in the buffers, here and now (no second process)."""
        rollout = self.package_rollout()
        rng = np.random.default_rng(derive_seed(self.config.seed, 5, self.update))
        return ppo_update(self.policy, self.optimizer, rollout, self.config, lr, rng, self.reduce)

    def learner(self) -> InlineLearner | ProcessLearner:
        if self._learner is None:
            if self.config.learner_process and self.reduce is None:
                self._learner = ProcessLearner(self.policy, self.optimizer, self.config)
            else:
                self._learner = InlineLearner(self.policy, self.optimizer, self.config, self.reduce)
        return self._learner

    def sync(self) -> None:
        """Bring the optimizer's state home from a learner process (before saving or closing)."""
        if isinstance(self._learner, ProcessLearner):
            self.optimizer.load_state_dict(self._learner.state())

    def close(self, abandon: bool = False) -> None:
        """Stop the learner process, if any (training can go on later: it restarts).

        ``abandon``: at once, dropping an update in progress and the optimizer state it holds
        (the run was stopped mid-update and will not be saved).
        """
        if self._learner is not None:
            if not abandon:
                self.sync()
            self._learner.close(abandon)
            self._learner = None

    def check_finite(self, params: dict[str, np.ndarray] | None = None, update: int | None = None) -> None:
        """TrainingDiverged unless every weight (of ``params``, else the network's) is a finite number."""
        check_finite(params if params is not None else self.policy.params(), update or self.update)

    def evaluation_due(self) -> bool:
        """Whether the update just made is followed by an evaluation."""
        return evaluation_due(self.update, self.config.eval_every)

    # ------------------------------------------------------------------------------------
    def learning_rate(self, progress: float) -> float:
        if not self.config.anneal_lr:
            return self.config.learning_rate
        return self.config.learning_rate * max(0.0, 1.0 - progress)

    def train_one_update(self, progress: float) -> dict:
        """Collect one rollout and learn from it; returns this update's metrics row."""
        cfg = self.config
        started = time.perf_counter()
        lr = self.learning_rate(progress)
        learner = self.learner()
        if self.pending is None:  # the very first round: nothing played yet
            self.collect_rollout()
            self.pending = self.package_rollout()
        tick = time.perf_counter()
        learner.submit(self.pending, lr, derive_seed(cfg.seed, 5, self.update))
        learn_s = time.perf_counter() - tick  # all of the learning when inline
        if isinstance(learner, InlineLearner):
            self.check_finite(update=self.update + 1)  # never play a rollout with broken weights
        self.pending = None
        # play the next rollout meanwhile (with a learner process, one update behind)
        tick = time.perf_counter()
        if isinstance(learner, ProcessLearner):
            # the learner process has the other core: a two-thread GEMM here would stall on it
            with blas_thread_limit(1):
                timing = self.collect_rollout()
                following = self.package_rollout()
        else:
            timing = self.collect_rollout()
            following = self.package_rollout()
        rollout_s = time.perf_counter() - tick
        tick = time.perf_counter()
        weights, stats = learner.result()
        learn_s += time.perf_counter() - tick  # plus the wait for a learner process
        if weights is not None:
            self.check_finite(weights, update=self.update + 1)  # the network keeps the last good weights
            self.policy.set_params(weights)
        self.pending = following
        self.update += 1
        if cfg.snapshot_every and self.update % cfg.snapshot_every == 0:
            self.add_snapshot()
        row = {
            "update": self.update,
            "step": self.global_step,
            "learning_rate": lr,
            "rollout_s": rollout_s,
            "act_s": timing["act"],
            "env_s": timing["env"],
            "learn_s": learn_s,
            "elo": self.league.learner_rating,
            "episode_ticks": float(np.mean(self._recent_lengths)) if self._recent_lengths else None,
            "aim_error_deg": math.degrees(self._aim_sum / self._aim_count) if self._aim_count else None,
            "train_vs": {k: float(np.mean(v)) for k, v in self._recent_results.items() if v},
            **stats,
        }
        if self.evaluation_due():
            tick = time.perf_counter()
            row["eval"] = self.evaluate()
            row["eval_s"] = time.perf_counter() - tick
        self.elapsed_s += time.perf_counter() - started
        row["elapsed_s"] = self.elapsed_s
        row["steps_per_s"] = cfg.batch_size / max(time.perf_counter() - started, 1e-9)
        return row

    def add_snapshot(self) -> None:
        name = f"self-{self.global_step}"
        snapshot = ActorCritic(self.observation.shape, self.network, threads=self.threads)
        snapshot.set_params(self.policy.get_params())
        self.snapshots[name] = snapshot
        self.league.add_snapshot(name, self.global_step)
        self._drop_unused_snapshots()

    def evaluate(self, matches: int | None = None, greedy: bool = True) -> dict:
        """Score (wins + draws/2) against each evaluation bot over a fixed set of matches."""
        out = evaluation(self.policy, self.observation, matches or self.config.eval_matches, greedy, self.rules)
        self.history.append({"step": self.global_step, "elapsed_s": self.elapsed_s, **out})
        return out

    # ------------------------------------------------------------------------------------
    # saving and resuming
    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON-compatible state, named arrays) of the whole run."""
        self.sync()
        arrays: dict[str, np.ndarray] = {f"param/{k}": v.copy() for k, v in self.policy.params().items()}
        arrays.update({f"adam/{k}": v for k, v in self.optimizer.state_dict().items()})
        if self.pending is not None:
            arrays.update({f"pending/{k}": v for k, v in self.pending.arrays().items()})
        for name, net in self.snapshots.items():
            arrays.update({f"snapshot/{name}/{k}": v.copy() for k, v in net.params().items()})
        other_state, other_arrays = self.other_eyes.state()
        arrays.update({f"other/{k}": v for k, v in other_arrays.items()})
        env_state = self.env.state_dict()
        for i, saved in enumerate(env_state["matches"]):
            arrays[f"stack/{i}"] = saved.pop("stack")
        state = {
            "config": asdict(self.config),
            "observation": asdict(self.observation),
            "network": self.network.to_dict(),
            "update": self.update,
            "global_step": self.global_step,
            "elapsed_s": self.elapsed_s,
            "matches_finished": self.matches_finished,
            "history": self.history,
            "started": self._started,
            "rng": self.rng.bit_generator.state,
            "league": self.league.state_dict(),
            "other_eyes": other_state,
            "opponent_now": {str(k): v for k, v in self.opponent_now.items()},
            "opponent_next": {str(k): v for k, v in self.opponent_next.items()},
            "matches": env_state["matches"],
            "controllers": env_state["controllers"],
            "pending": env_state["pending"],
            "next_done": self.next_done.tolist(),
            "prev_potential": self.prev_potential.tolist(),
            "recent_lengths": self._recent_lengths,
            "recent_results": self._recent_results,
        }
        return state, arrays

    @classmethod
    def restore(cls, state: dict, arrays: dict[str, np.ndarray], reduce: GradientReducer | None = None) -> Trainer:
        """A trainer continuing exactly where :meth:`state` was taken."""
        config = TrainConfig(**state["config"])
        observation = ObservationConfig(**saved_observation(state["observation"]))
        network = NetworkConfig.from_dict(state["network"])
        trainer = cls(config, observation, network, reduce=reduce)
        trainer.policy.set_params({k[6:]: v for k, v in arrays.items() if k.startswith("param/")})
        trainer.optimizer.load_state_dict({k[5:]: v for k, v in arrays.items() if k.startswith("adam/")})
        pending = {k[8:]: v for k, v in arrays.items() if k.startswith("pending/")}
        trainer.pending = Rollout(**pending) if pending else None
        trainer.update = state["update"]
        trainer.global_step = state["global_step"]
        trainer.elapsed_s = state["elapsed_s"]
        trainer.matches_finished = state["matches_finished"]
        trainer.history = state["history"]
        trainer._started = state["started"]
        trainer.rng.bit_generator.state = state["rng"]
        trainer.league.load_state_dict(state["league"])
        snapshot_params: dict[str, dict[str, np.ndarray]] = {}
        for key, value in arrays.items():
            if key.startswith("snapshot/"):
                _, name, param = key.split("/", 2)
                snapshot_params.setdefault(name, {})[param] = value
        for name, params in snapshot_params.items():
            net = ActorCritic(observation.shape, network, threads=trainer.threads)
            net.set_params(params)
            trainer.snapshots[name] = net
        if "other_eyes" in state:  # runs saved before league agents could have other eyes have none
            other = {k[6:]: v for k, v in arrays.items() if k.startswith("other/")}
            trainer.other_eyes = OtherEyesAgents.restore(state["other_eyes"], other, observation, trainer.threads)
        trainer.opponent_now = {int(k): v for k, v in state["opponent_now"].items()}
        trainer.opponent_next = {int(k): v for k, v in state["opponent_next"].items()}
        # runs saved before the env kept its controllers' names: the league slots' current opponents
        opponents = [trainer.opponent_now.get(i) for i in range(config.num_matches)]
        controllers = state.get("controllers") or [[None, o if o in BOT_NAMES else None] for o in opponents]
        trainer.env.load_state_dict({
            "matches": [dict(saved, stack=arrays[f"stack/{i}"]) for i, saved in enumerate(state["matches"])],
            "controllers": controllers,
            "pending": state["pending"],
        })
        trainer.next_done = np.array(state["next_done"], bool)
        trainer.prev_potential = np.array(state["prev_potential"], np.float32)
        trainer._recent_lengths = list(state["recent_lengths"])
        trainer._recent_results = {k: list(v) for k, v in state["recent_results"].items()}
        return trainer


def check_finite(params: dict[str, np.ndarray], update: int) -> None:
    """TrainingDiverged (naming ``update``) unless every weight in ``params`` is a finite number."""
    for key, value in params.items():
        if not np.isfinite(value).all():
            raise TrainingDiverged(f"training diverged at update {update}: the weights are no longer finite ({key})")


def evaluation_due(update: int, every: int) -> bool:
    """Whether update number ``update`` is followed by an evaluation (every ``every``; 0: never)."""
    return every > 0 and (update % every == 0 or update == FIRST_EVALUATION)


def evaluation(policy: ActorCritic, observation: ObservationConfig, matches: int, greedy: bool = True,
               rules: Rules = Rules()) -> dict:
    """A training run's evaluation: score, kill share and shots per match against each of
    :data:`EVAL_OPPONENTS` over the same ``matches`` seeded matches every time."""
    return summarize_evaluation([evaluation_part(policy, observation, matches, greedy, rules)])


def evaluation_part(policy: ActorCritic, observation: ObservationConfig, matches: int, greedy: bool = True,
                    rules: Rules = Rules(), part: tuple[int, int] = (0, 1)) -> dict[str, dict]:
    """Part ``(index, count)`` of :func:`evaluation`'s matches (those whose number is ``index``
    modulo ``count``): each opponent's counts, for :func:`summarize_evaluation`."""
    return {opponent: evaluate_policy(policy, observation, opponent, matches, EVAL_SEED, greedy=greedy, rules=rules,
                                      part=part)
            for opponent in EVAL_OPPONENTS}


def summarize_evaluation(parts: list[dict[str, dict]]) -> dict:
    """The evaluation row from the counts of its parts (several workers each played some)."""
    out = {}
    for opponent in EVAL_OPPONENTS:
        total = {key: sum(part[opponent][key] for part in parts)
                 for key in ("wins", "draws", "losses", "kills", "deaths", "shots")}
        played = max(total["wins"] + total["draws"] + total["losses"], 1)
        out[opponent] = (total["wins"] + 0.5 * total["draws"]) / played
        out[f"{opponent}_kill_share"] = total["kills"] / max(total["kills"] + total["deaths"], 1)
        out[f"{opponent}_shots"] = total["shots"] / played
    return out


def evaluate_policy(
    policy: ActorCritic,
    observation: ObservationConfig,
    opponent: str | ActorCritic,
    matches: int,
    seed: int,
    greedy: bool = True,
    rules: Rules = Rules(),
    part: tuple[int, int] = (0, 1),
) -> dict:
    """Play ``matches`` whole matches against ``opponent`` (a bot's name, or a network that sees
    with the same eyes), all at once, the policy on the left in even matches and on the right in
    odd ones. Returns wins, draws, losses and score.

    ``part=(index, count)`` plays only the matches whose number is ``index`` modulo ``count``
    (each with the seed and side it has in the whole series), so that ``count`` processes can
    share a series; the counts of the parts add up to the whole series' (greedy play)."""
    index, count = part
    numbers = np.arange(index, matches, count)
    played = len(numbers)
    if played == 0:  # more parts than matches
        return _series_result([], 0, 0, 0)
    env = BatchDuelEnv(played, rules=rules, observation=observation, copy=False)
    learner_side = numbers % 2
    frozen = opponent if isinstance(opponent, ActorCritic) else None
    if frozen is None:
        for slot in range(played):
            env.set_controller(slot, 1 - int(learner_side[slot]), make_bot(opponent))
    obs, _ = env.reset(seed=seed, options={"slot_seeds": [BatchDuelEnv.slot_seed(seed, int(n)) for n in numbers]})
    rng = np.random.default_rng(seed)
    results: list[float | None] = [None] * played
    kills = deaths = shots = 0
    actions = np.zeros((played, 2), np.int64)
    rows = np.arange(played)
    while any(r is None for r in results):
        chosen, *_ = policy.act(obs[rows, learner_side], rng, greedy)
        actions[rows, learner_side] = chosen
        if frozen is not None:
            chosen, *_ = frozen.act(obs[rows, 1 - learner_side], rng, greedy)
            actions[rows, 1 - learner_side] = chosen
        obs, _, terminated, truncated, infos = env.step(actions)
        for slot in np.flatnonzero(terminated | truncated):
            if results[slot] is None:
                info = infos["final_info"][slot]
                side = int(learner_side[slot])
                results[slot] = _learner_score(info["winner"], side)
                kills += info["deaths"][1 - side]
                deaths += info["deaths"][side]
                shots += info["shots"][side]
    return _series_result(results, kills, deaths, shots)


def _series_result(results: list, kills: int, deaths: int, shots: int) -> dict:
    """:func:`evaluate_policy`'s counts from each match's learner score (1, 0.5 or 0)."""
    wins = sum(r == 1.0 for r in results)
    draws = sum(r == 0.5 for r in results)
    return {"wins": wins, "draws": draws, "losses": len(results) - wins - draws,
            "score": (wins + 0.5 * draws) / max(len(results), 1), "kills": kills, "deaths": deaths, "shots": shots,
            "kill_share": kills / max(kills + deaths, 1)}
