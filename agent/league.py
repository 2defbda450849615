"""The opponent league: who the learning agent plays, and everyone's Elo rating.

Members are the scripted bots, saved agents (past champions, exploiters trained to beat the
learner: AlphaStar's league keeps both) and frozen snapshots of the learner taken at intervals. When a
match against the pool starts, its opponent is drawn with *prioritized fictitious self-play*
weights that favour the opponents the learner can learn most from: those it beats sometimes
but not always (weight ``(1 - s) * (s + spread) + floor``, s being the learner's recent score
against it, draws counted half; highest near s = 0.4, low for opponents it always beats, and
still fair for ones it never beats yet). With ``weighting="hard"`` the weight is AlphaStar's
``f_hard``, ``(1 - s) ** 2 + floor``: most for the opponents the learner loses to, for a main
agent that must beat its past champions rather than improve where it already wins. ``shares``
give some members a fixed share of the matches whatever the learner scores against them (the
way AlphaStar's main agents keep a fixed share of their games for some opponents), e.g.
``(("aimbot", 0.3),)``: 30 % of the draws are the aimbot, the other 70 % are drawn from the
other members by the weights above. Ratings are Elo, updated after every finished match
between the learner and a member; ``random`` is the anchor at 1000 so the scale stays put.

Everything here is plain data (names, numbers), saved and restored with the trainer; the
snapshots' weights are kept by the trainer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ANCHOR = "random"
ANCHOR_RATING = 1000.0
WEIGHTINGS = ("variance", "hard")  # prioritized fictitious self-play: see the module's docstring


@dataclass
class Member:
    """One opponent: a bot (``kind == "bot"``), a saved agent (``"agent"``, frozen, never dropped:
    past champions, exploiters) or a frozen snapshot of the learner (``"snapshot"``)."""

    name: str
    kind: str  # "bot", "agent" or "snapshot"
    rating: float = ANCHOR_RATING
    games: int = 0
    recent: list[float] = field(default_factory=list)  # learner's last results vs it: 1, 0.5, 0
    created_step: int = 0

    @property
    def learner_score(self) -> float:
        """The learner's recent score against this member (0.5 while unknown)."""
        return float(np.mean(self.recent)) if self.recent else 0.5


@dataclass
class League:
    """The pool of opponents plus the learner's own rating."""

    bots: tuple[str, ...] = ("idle", "random", "rookie", "aimbot")
    max_snapshots: int = 8
    agents: tuple[str, ...] = ()  # saved agents playing as frozen opponents
    spread: float = 0.15
    weighting: str = "variance"  # or "hard" (see the module's docstring)
    shares: tuple[tuple[str, float], ...] = ()  # (name, fraction): fixed shares of the draws
    floor: float = 0.03
    window: int = 50  # results remembered per member for the learner's score
    elo_k: float = 16.0
    learner_rating: float = ANCHOR_RATING
    members: dict[str, Member] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"the league's weighting must be one of {', '.join(WEIGHTINGS)} (got {self.weighting!r})")
        for bot in self.bots:
            self.members.setdefault(bot, Member(bot, "bot"))
        for agent in self.agents:
            self.members.setdefault(agent, Member(agent, "agent"))

    # ------------------------------------------------------------------------------------
    def add_snapshot(self, name: str, step: int) -> list[str]:
        """Add a frozen copy of the learner (rated as the learner is now); returns the names dropped.

        When there are more than ``max_snapshots``, the oldest snapshot goes.
        """
        self.members[name] = Member(name, "snapshot", rating=self.learner_rating, created_step=step)
        snapshots = [m for m in self.members.values() if m.kind == "snapshot"]
        dropped = []
        while len(snapshots) > self.max_snapshots:
            oldest = min(snapshots, key=lambda m: m.created_step)
            snapshots.remove(oldest)
            del self.members[oldest.name]
            dropped.append(oldest.name)
        return dropped

    def weights(self) -> dict[str, float]:
        """Sampling weight of each member (not normalised)."""
        if self.weighting == "hard":
            return {name: (1.0 - m.learner_score) ** 2 + self.floor for name, m in self.members.items()}
        return {
            name: (1.0 - m.learner_score) * (m.learner_score + self.spread) + self.floor
            for name, m in self.members.items()
        }

    def sample(self, rng: np.random.Generator) -> str:
        """Draw an opponent's name: a member with a fixed share with that probability, else one of
        the others by the prioritized weights (by the shares alone when there are no others)."""
        shared = {name: share for name, share in self.shares if name in self.members}
        weights = {name: w for name, w in self.weights().items() if name not in shared}
        if shared:
            if not weights:
                weights = shared
            else:
                u = rng.random()
                for name, share in shared.items():
                    if u < share:
                        return name
                    u -= share
        names = list(weights)
        p = np.array([weights[n] for n in names], dtype=np.float64)
        return names[int(rng.choice(len(names), p=p / p.sum()))]

    # ------------------------------------------------------------------------------------
    def record(self, opponent: str, learner_score: float) -> None:
        """A finished learner-vs-``opponent`` match: 1 win, 0.5 draw, 0 loss for the learner."""
        member = self.members.get(opponent)
        if member is None:  # a snapshot dropped while its match was running
            return
        member.games += 1
        member.recent.append(learner_score)
        del member.recent[: -self.window]
        expected = 1.0 / (1.0 + 10.0 ** ((member.rating - self.learner_rating) / 400.0))
        delta = self.elo_k * (learner_score - expected)
        self.learner_rating += delta
        if member.name != ANCHOR:
            member.rating -= delta

    def table(self) -> list[dict]:
        """Members sorted by rating, for displays and metadata."""
        rows = [
            {"name": m.name, "kind": m.kind, "rating": round(m.rating, 1), "games": m.games,
             "learner_score": round(m.learner_score, 3)}
            for m in self.members.values()
        ]
        rows.append({"name": "learner", "kind": "learner", "rating": round(self.learner_rating, 1),
                     "games": sum(m.games for m in self.members.values()), "learner_score": None})
        return sorted(rows, key=lambda r: -r["rating"])

    # ------------------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {
            "learner_rating": self.learner_rating,
            "members": [
                {"name": m.name, "kind": m.kind, "rating": m.rating, "games": m.games, "recent": list(m.recent),
                 "created_step": m.created_step}
                for m in self.members.values()
            ],
        }

    def load_state_dict(self, state: dict) -> None:
        self.learner_rating = state["learner_rating"]
        self.members = {m["name"]: Member(**m) for m in state["members"]}
