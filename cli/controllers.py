"""Controllers from the names users type: bots and module:attr (game.controllers), and saved agents."""

from __future__ import annotations

from pathlib import Path

import click

from agent import saves
from agent.controller import AgentController
from agent.online import AdaptedAgentSaver, LearningController, OnlineConfig
from agent.policy import ActorCritic
from agent.session import load_policy
from game.bots import BOTS
from game.controllers import Controller, ControllerError, controller_from_spec
from game.env import ObservationConfig

CONTROLLER_HELP = (
    "A controller is 'human', one of the bots ("
    + ", ".join(sorted(BOTS))
    + "), the name of a saved agent, or module:attr naming a Python object with reset(seed) and act(world, player)."
)


class ControllerFactory:
    """Builds controllers from specs: bot names, saved agents (loaded once) and module:attr.

    With ``learn`` a saved agent becomes a :class:`agent.online.LearningController` (sampling,
    learning in a background process, on its own copy of the weights) that offers to keep what it
    learned as a new agent when the session ends; bots and module:attr are built as usual.
    ``online`` sets its learning (default: :class:`agent.online.OnlineConfig`).
    """

    def __init__(self, saves_dir: str | Path | None = None, greedy: bool = True, learn: bool = False,
                 online: OnlineConfig | None = None) -> None:
        self.saves_dir = Path(saves_dir) if saves_dir else None
        self.greedy = greedy
        self.learn = learn
        self.online = online
        self._agents: dict[str, tuple] = {}
        self.learners: list[LearningController] = []  # learners built whose adaptation may still be unsaved

    def __call__(self, spec: str) -> Controller:
        """The controller named by ``spec`` (not 'human', which only the window provides)."""
        if self.is_agent(spec):
            return self._agent(spec)
        return controller_from_spec(spec)

    def is_agent(self, spec: str) -> bool:
        """True when ``spec`` names a saved agent (not human, a bot or module:attr)."""
        return spec != "human" and spec not in BOTS and ":" not in spec

    def check(self, spec: str, allow_human: bool) -> None:
        """Fail early, with one sentence, on a controller that cannot be built."""
        if spec == "human":
            if not allow_human:
                raise click.UsageError("'human' needs the game window; use it with 'play'")
            return
        self(spec)

    def agent_observation(self, name: str) -> ObservationConfig:
        """How the saved agent ``name`` sees."""
        return self._load(name)[1]

    def _agent(self, name: str) -> Controller:
        policy, observation, metadata = self._load(name)
        if self.learn:
            return self._learner(name, policy, observation, metadata)
        return AgentController(policy, observation, greedy=self.greedy, name=name)

    def _load(self, name: str) -> tuple:
        """The saved agent ``name`` as (policy, observation, metadata), loaded once."""
        if name not in self._agents:
            try:
                path = saves.agent_dir(name, self.saves_dir) / saves.AGENT_FILE
            except saves.SaveError:
                raise ControllerError(f"unknown controller {name!r}; {CONTROLLER_HELP}") from None
            if not path.exists():
                raise ControllerError(f"unknown controller {name!r}; {CONTROLLER_HELP}")
            try:
                self._agents[name] = load_policy(path)
            except saves.SaveError as error:  # the window shows a ControllerError's message on its menu
                raise ControllerError(str(error)) from None
        return self._agents[name]

    def _learner(self, name: str, policy: ActorCritic, observation: ObservationConfig,
                 metadata: dict) -> Controller:
        """A learning controller on a copy of ``policy`` (the loaded original stays as saved)."""
        weights = ActorCritic(policy.obs_shape, policy.config)
        weights.set_params(policy.get_params())
        saver = AdaptedAgentSaver(name, metadata, self.saves_dir)
        controller = LearningController(weights, observation, self.online or OnlineConfig(), greedy=False,
                                        background=True, name=name, saver=saver)
        self.learners = [c for c in self.learners if not c.closed or c.unsaved] + [controller]
        return controller

    def keep_learned(self) -> None:
        """At the end of the program: stop every learner, and save (printing one line each) what
        was learned but neither kept nor discarded, e.g. because the window closed first."""
        failures = []
        for controller in self.learners:
            controller.close()
            if not controller.unsaved:
                continue
            try:
                saved = controller.save_adapted()
            except saves.SaveError as error:
                failures.append(f"could not keep what {controller.name!r} learned: {error}")
                continue
            click.echo(f"saved what {controller.name!r} learned ({controller.updates} updates against you) "
                       f"as {saved!r}, since the window closed before you chose")
        self.learners = []
        if failures:
            raise click.ClickException("; ".join(failures))
