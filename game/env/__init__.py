"""The door between the game and the agent: environments that speak in frames and actions.

Everything a learner needs from the game is importable from here, and importing it never
imports pygame (frames are drawn with pygame, imported when the first one is drawn).

Three shapes of the same match, all built on :class:`Match` (:mod:`game.env.match`):

- :class:`DuelEnv`: both players, PettingZoo *parallel* shape (dicts keyed by agent name);
- :class:`BatchDuelEnv`: N matches stepped together with NumPy arrays and automatic reset, for
  training, with a ``state_dict`` to save and resume the matches in flight;
- :class:`SingleAgentEnv`: one player against any controller, Gymnasium shape.

For controllers that play inside a game loop rather than through an env (the trained agent in
the window), :class:`PlayerEyes` makes the same observations, and :func:`tally` with
:meth:`RewardConfig.reward` counts the same rewards.

Observations are stacks of the last K gray frames drawn by :mod:`game.observation` (uint8,
shape (K, H, W), player 2's view mirrored; see :class:`ObservationConfig`); each decision is held
for ``action_repeat`` ticks. Actions are the integers ``0 .. NUM_ACTIONS - 1`` (see
:mod:`game.actions`). A player may instead be driven by a *controller* (a scripted bot, see
:data:`BOT_NAMES` and :func:`make_bot`, or any ``act(world, player)``), which is asked every
tick, like in the interactive game: scripted opponents keep their full reaction speed and the
action given for that player in ``step`` is ignored.

Rewards (per player, per step; by default the game's score change divided by the kill score, 50;
other weights can be given with a :class:`RewardConfig`):

=================================  ======
event                              reward
=================================  ======
the opponent's ship destroyed      +1.0
own ship destroyed (any way)       -1.0
shoot an asteroid                  +0.2
=================================  ======

A :class:`RewardConfig` also sets the potential for reward shaping (``aim_shaping``,
``dodge_shaping``, ``open_shaping``; off by default): :meth:`RewardConfig.potential`, ``Match.potential`` and
``BatchDuelEnv.potentials`` give it, and a learner with discount gamma adds
``gamma * potential(next) - potential(now)`` to each step's reward (see
:mod:`game.env.rewards`).

A match is *terminated* when a player has no lives left and *truncated* when it reaches the
rules' time limit (a draw). ``infos`` carry ``score``, ``lives``, ``winner`` (0, 1, None) and
the match statistics (``shots``, ``hits``, ``asteroids_shot``, ``deaths``, ``tick``).

Seeding: ``reset(seed=s)`` makes match j (counting resets from that one) use world seed
``derive_seed(s, j)`` (:mod:`game.seeding`); in a batch seeded with s, match slot i is seeded as
``DuelEnv.reset(seed=BatchDuelEnv.slot_seed(s, i))`` would be, so a batch replays the same
sequence of matches every time, whatever order its matches end in.
"""

from game.actions import NAMES as ACTION_NAMES
from game.actions import MIRRORED, NUM_ACTIONS, decode, encode
from game.env.batch import BatchDuelEnv, BatchStep
from game.env.duel import DuelEnv
from game.env.eyes import PlayerEyes
from game.env.match import AGENTS, Match, match_info
from game.env.opponents import BOT_NAMES, as_opponent, make_bot
from game.env.rewards import RewardConfig, Tally, aim_error, tally
from game.env.single import SingleAgentEnv
from game.env.spaces import Box, Discrete
from game.match import MatchSeries
from game.observation import ObservationConfig, saved_observation
from game.rules import Rules
from game.seeding import derive_seed
from game.world import World

__all__ = [
    "MatchSeries",
    "ACTION_NAMES", "AGENTS", "BOT_NAMES", "BatchDuelEnv", "BatchStep", "Box", "Discrete", "DuelEnv", "MIRRORED", "Match",
    "NUM_ACTIONS", "ObservationConfig", "PlayerEyes", "RewardConfig", "Rules", "SingleAgentEnv",
    "Tally", "World", "aim_error", "as_opponent", "decode", "derive_seed", "encode", "make_bot", "match_info",
    "saved_observation", "tally",
]
