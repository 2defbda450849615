"""Synthesised sounds: made at start-up, played from events, silent when there is no mixer."""

import numpy as np
import pygame
import pytest

from game.app.sound import Sounds, _to_mixer_format, synthesize
from game.world import Event

ALL_EVENTS = [
    Event("fire", 0),
    Event("asteroid_shot", 0, radius=80.0),
    Event("asteroid_shot", 1, radius=17.8),
    Event("ship_destroyed", 1, cause="bullet"),
    Event("respawn", 1),
    Event("match_over", 0),
]


@pytest.fixture
def no_mixer():
    pygame.mixer.quit()
    yield
    pygame.mixer.quit()


def test_synthesized_effects_are_audible_and_in_range():
    sounds = synthesize(22050)
    assert set(sounds) == {"fire", "asteroid", "asteroid_small", "ship", "respawn", "match_over", "count", "go"}
    for name, samples in sounds.items():
        assert samples.ndim == 1 and np.isfinite(samples).all(), name
        assert np.abs(samples).max() <= 1.0 + 1e-9, name
        assert np.sqrt(np.mean(samples**2)) > 0.05, name  # not silence
        assert 0.05 < samples.size / 22050 < 2.0, name
        assert abs(samples[0]) < 0.05 and abs(samples[-1]) < 0.05, name  # no click at the ends
    assert sounds["ship"].size > sounds["fire"].size  # the explosion lasts, the shot is short
    assert np.array_equal(synthesize(22050)["ship"], sounds["ship"])  # seeded noise


def test_mixer_format_conversion():
    samples = np.array([0.0, 1.0, -1.0])
    stereo = _to_mixer_format(samples, -16, 2)
    assert stereo.dtype == np.int16 and stereo.shape == (3, 2)
    assert stereo[:, 0].tolist() == [0, 32767, -32767] and stereo.flags.c_contiguous
    assert _to_mixer_format(samples, 32, 1).dtype == np.float32


def test_sounds_play_with_the_dummy_audio_driver(no_mixer, monkeypatch):
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")  # importing pettingzoo elsewhere sets it to "dsp"
    sounds = Sounds()
    assert sounds.available, sounds.problem
    assert sounds.status == ""
    sounds.play_events(ALL_EVENTS)
    assert pygame.mixer.get_busy()
    assert sounds.toggle_mute() is True
    assert not pygame.mixer.get_busy()  # muting stops what is playing
    assert sounds.status == "muted"
    sounds.play_events(ALL_EVENTS)
    assert not pygame.mixer.get_busy()
    assert sounds.toggle_mute() is False
    sounds.close()
    assert not pygame.mixer.get_init()


def test_sounds_are_silent_without_an_audio_device(no_mixer, monkeypatch):
    monkeypatch.setenv("SDL_AUDIODRIVER", "no_such_audio_driver")
    sounds = Sounds()
    assert not sounds.available
    assert sounds.problem  # the reason is kept
    assert sounds.status == "no sound"
    sounds.play_events(ALL_EVENTS)  # does nothing, raises nothing
    sounds.toggle_mute()
    assert sounds.status == "muted"
    sounds.close()


def test_disabled_sounds_never_start_the_mixer(no_mixer):
    sounds = Sounds(enabled=False)
    sounds.play_events(ALL_EVENTS)
    assert not pygame.mixer.get_init()
    assert sounds.status == ""
