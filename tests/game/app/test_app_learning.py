"""Learning while playing a person: the HUD's status, the question when leaving, keeping the agent.

The app side is driven with a small controller that has the optional hooks of
``game.controllers`` (status, close, session_question, answer_session_question); the end-to-end
tests play a real tiny saved agent that learns in its background process, headless.
"""

from dataclasses import asdict

import numpy as np
import pygame
import pytest
from click.testing import CliRunner

import main
from agent import saves
from agent.online import AdaptedAgentSaver, LearningController, OnlineConfig
from agent.policy import ActorCritic, NetworkConfig
from agent.session import load_policy
from cli.controllers import ControllerFactory
from game.app.app import App
from game.app.hud import Hud
from game.app.keyboard import KeyboardController
from game.app.layout import ACCENT, HUD_RECT, WINDOW_SIZE, Fonts
from game.app.menu import Opponent
from game.app.play import MatchScene, MatchSetup, build_controllers
from game.app.sound import Sounds
from game.bots import BOTS, IdleBot
from game.env import ObservationConfig
from game.match import play_match
from game.rules import Rules
from keys import press

TINY_OBS = ObservationConfig(width=32, height=16, frames=2, ego_view=False)
TINY_NET = NetworkConfig(channels=(4,), kernel_sizes=(4,), strides=(2,), hidden=8)
ONLINE = OnlineConfig(rollout_steps=16)  # an update after 16 decisions (32 frames)
QUESTION = "Keep it? (Y/N)"


class AskingController:
    """A test double of the optional hooks: idles, records what the app calls."""

    def __init__(self, status: str = "learning · 3 updates", question: str | None = QUESTION) -> None:
        self._status, self._question = status, question
        self.closed = 0
        self.answers: list[bool] = []

    def reset(self, seed=None) -> None:
        pass

    def act(self, world, player: int) -> int:
        return 0

    def status(self) -> str:
        return self._status

    def close(self) -> None:
        self.closed += 1

    def session_question(self) -> str | None:
        return None if self.answers else self._question

    def answer_session_question(self, yes: bool) -> str:
        self.answers.append(yes)
        return "kept it" if yes else "dropped it"


@pytest.fixture
def apps():
    """Builds Apps, one window at a time (building one closes the last), and closes them after the test."""
    made = []

    def build(make_controller=None, opponents=(), **kwargs):
        kwargs.setdefault("mute", True)
        kwargs.setdefault("countdown_s", 0)  # these tests count frames of play, not of the countdown
        while made:
            made.pop().close()
        app = App(make_controller or (lambda spec: BOTS[spec]()), list(opponents), **kwargs)
        made.append(app)
        return app

    yield build
    for app in made:
        app.close()


def accent_pixels(surface: pygame.Surface, rect: pygame.Rect) -> int:
    pixels = pygame.surfarray.pixels3d(surface.subsurface(rect))
    return int(np.all(pixels == ACCENT, axis=2).sum())


# --- the app, with the test double -------------------------------------------------------
def test_hud_shows_the_status_of_a_controller_that_has_one():
    pygame.font.init()
    player2 = HUD_RECT.copy()
    player2.width //= 2
    player2.right = HUD_RECT.right  # the right half of the bar: player 2's block
    counts = {}
    for status in ("", "learning · 3 updates"):
        scene = MatchScene(MatchSetup("idle", "asker", 1), (IdleBot(), AskingController(status)),
                           Sounds(enabled=False), Hud(Fonts()))
        surface = pygame.Surface(WINDOW_SIZE)
        scene.draw(surface)
        counts[status] = accent_pixels(surface, player2)
    assert counts[""] == 0 and counts["learning · 3 updates"] > 50, counts


def test_leaving_closes_the_controllers_asks_the_question_and_y_answers_it(apps):
    asker = AskingController()
    app = apps(start=MatchSetup("human", "asker", 3), start_controllers=(KeyboardController(0), asker))
    app.run(max_frames=5)
    press(pygame.K_ESCAPE, pygame.K_ESCAPE)  # pause, then leave
    app.run(max_frames=2)
    scene = app.scene
    assert app.result is None and scene.ending and asker.closed == 1
    assert scene.questions[0][1] == QUESTION and not scene.running
    assert accent_pixels(app.screen, pygame.Rect(0, 300, WINDOW_SIZE[0], 100)) > 100  # the dialog is drawn
    press(pygame.K_SPACE, pygame.K_y)  # other keys do not answer
    app.run(max_frames=2)
    assert asker.answers == [True] and scene.notes == ["kept it"] and app.result is None  # the message is shown
    press(pygame.K_RETURN)
    assert app.run(max_frames=2) == "quit"
    assert asker.closed == 1 and asker.answers == [True]


def test_n_discards_and_controllers_without_a_question_leave_at_once(apps):
    asker, silent = AskingController(), AskingController(question=None)
    app = apps(start=MatchSetup("asker", "silent", 4), start_controllers=(asker, silent))
    press(pygame.K_ESCAPE, pygame.K_ESCAPE, pygame.K_n, pygame.K_RETURN)
    assert app.run(max_frames=3) == "quit"
    assert asker.answers == [False] and silent.answers == [] and asker.closed == silent.closed == 1
    bots = apps(start=MatchSetup("idle", "idle", 4), start_controllers=(IdleBot(), IdleBot()))
    press(pygame.K_ESCAPE, pygame.K_ESCAPE)
    assert bots.run(max_frames=3) == "quit"  # plain controllers: no hooks, no question


def test_closing_the_window_while_asked_leaves_the_question_unanswered(apps):
    asker = AskingController()
    app = apps(start=MatchSetup("human", "asker", 5), start_controllers=(KeyboardController(0), asker))
    press(pygame.K_ESCAPE, pygame.K_ESCAPE)
    app.run(max_frames=1)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert app.run(max_frames=2) == "quit"
    assert asker.answers == [] and asker.closed == 1


def test_menu_learn_toggle_builds_the_opponent_with_the_learning_maker(apps):
    built = []

    def learning(spec: str):
        built.append(spec)
        return AskingController()

    opponents = [Opponent("idle", "idle"), Opponent("aimbot", "aimbot")]
    plain = apps(opponents=opponents, seed=1)
    press(pygame.K_DOWN, pygame.K_RETURN, pygame.K_l)  # Human vs AI; no toggle without a learning maker
    plain.run(max_frames=1)
    assert not plain.scene.learn_offered and not plain.scene.learn

    app = apps(opponents=opponents, seed=1, make_learning_controller=learning)
    press(pygame.K_DOWN, pygame.K_RETURN)
    app.run(max_frames=1)
    assert app.scene.learn_offered and app.scene.learn_text() == "Learn while playing: off (L)"
    press(pygame.K_l)
    app.run(max_frames=1)
    assert app.scene.learn_text() == "Learn while playing: on (L)"
    press(pygame.K_RETURN)  # the first opponent, preselected on this page
    app.run(max_frames=1)
    assert built == ["idle"] and isinstance(app.scene.controllers[1], AskingController)
    assert app.scene.setup.learn


# --- a real agent that learns ------------------------------------------------------------
@pytest.fixture
def tiny_agent(tmp_path):
    """A tiny saved agent 'tiny' in tmp_path/saves: (saves folder, path of its agent file)."""
    folder = tmp_path / "saves"
    path = folder / "tiny" / saves.AGENT_FILE
    params = ActorCritic(TINY_OBS.shape, TINY_NET, rng=np.random.default_rng(0)).get_params()
    metadata = {"name": "tiny", "created": "2026-11-20T08:00:00+00:00", "parent": None,
                "network": TINY_NET.to_dict(), "observation": asdict(TINY_OBS), "elo": 1234.0,
                "training": {"steps": 1000, "updates": 2, "seconds": 90.0, "matches": 3}}
    saves.save_agent(path, params, metadata)
    return folder, path


def play_and_leave(apps, factory, seed: int) -> App:
    """Play 'tiny' (learning) against an idle human long enough for an update, then leave."""
    setup = MatchSetup("human", "tiny", seed)
    app = apps(seed=seed, start=setup, start_controllers=build_controllers(setup, factory))
    assert isinstance(app.scene.controllers[1], LearningController)
    app.run(max_frames=40)
    press(pygame.K_ESCAPE, pygame.K_ESCAPE)
    app.run(max_frames=1)  # leaving waits for the update in flight, then asks
    return app


def test_playing_a_learning_agent_and_keeping_it_saves_a_new_agent(apps, tiny_agent, tmp_path, capsys):
    folder, original = tiny_agent
    before = original.read_bytes()
    factory = ControllerFactory(str(folder), learn=True, online=ONLINE)

    app = play_and_leave(apps, factory, seed=1)
    learner = app.scene.controllers[1]
    assert learner.updates >= 1 and learner.status() == f"learning · {learner.updates} update" + (
        "" if learner.updates == 1 else "s")
    assert app.scene.questions[0][1] == "Keep what tiny learned? Save it as 'tiny-vs-you' (Y/N)"
    press(pygame.K_y, pygame.K_RETURN)
    assert app.run(max_frames=3) == "quit"
    assert app.scene.notes[0].startswith("Saved as 'tiny-vs-you'")

    policy, observation, meta = load_policy(folder / "tiny-vs-you" / saves.AGENT_FILE)
    assert meta["parent"] == "tiny" and meta["name"] == "tiny-vs-you" and observation == TINY_OBS
    assert meta["adapted"] == {"updates": learner.updates, "samples": learner.samples, "against": "human"}
    assert meta["network"] == TINY_NET.to_dict() and "elo" not in meta
    original_policy = load_policy(original)[0]
    assert any(not np.array_equal(v, original_policy.params()[k]) for k, v in policy.params().items())
    for key, value in factory._agents["tiny"][0].params().items():  # it learned on a copy of the weights
        assert np.array_equal(value, original_policy.params()[key])
    assert original.read_bytes() == before

    # a second session, and the window closes while the question is up: main.py keeps it
    app = play_and_leave(apps, factory, seed=2)
    assert app.scene.questions[0][1].endswith("'tiny-vs-you-2' (Y/N)")
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert app.run(max_frames=2) == "quit"
    factory.keep_learned()
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "'tiny-vs-you-2'" in out[0], out
    meta2 = load_policy(folder / "tiny-vs-you-2" / saves.AGENT_FILE)[2]
    assert meta2["parent"] == "tiny"  # learned from the original, not from the first adaptation
    assert original.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["tiny", "tiny-vs-you", "tiny-vs-you-2"]


def test_a_failed_save_says_so_in_one_sentence_and_keeps_the_adaptation(tiny_agent, tmp_path):
    folder, original = tiny_agent
    policy, observation, metadata = load_policy(original)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the saves folder should be")
    learner = LearningController(policy, observation, ONLINE, background=False, name="tiny",
                                 saver=AdaptedAgentSaver("tiny", metadata, blocked))
    play_match((learner, IdleBot()), seed=3, rules=Rules(time_limit_s=2.0))
    learner.close()
    assert learner.updates >= 1 and learner.session_question()
    message = learner.answer_session_question(True)
    assert message.startswith("Nothing was saved: cannot create") and message.count(". ") == 0, message
    assert learner.unsaved  # not lost: it can still be saved elsewhere or at exit
    learner.saver.saves_dir = folder
    assert learner.save_adapted() == "tiny-vs-you" and not learner.unsaved


def test_play_learn_needs_a_person_and_a_saved_agent():
    result = CliRunner().invoke(main.cli, ["play", "--p1", "human", "--p2", "aimbot", "--learn"])
    assert result.exit_code == 2 and "--learn is for playing a saved agent yourself" in result.output
