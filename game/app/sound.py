"""Sound effects, synthesised with NumPy at start-up: no sound files ship with the game.

- ``fire``: a short falling "pew";
- ``asteroid``: a burst of filtered noise (bigger asteroids sound deeper);
- ``ship``: a long, low explosion;
- ``respawn``: a two-note chime;
- ``match_over``: a rising four-note jingle;
- ``count`` and ``go``: the countdown's beep at 3, 2 and 1, and a higher one at "GO".

If the mixer cannot start (no audio device, no driver, pygame built without it) the
:class:`Sounds` object is simply silent; nothing in the game depends on sound working.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pygame

from game.world import Event

SAMPLE_RATE = 44100
BUFFER_SAMPLES = 512  # small, so a shot is heard when it is fired
MIXER_CHANNELS = 24  # sounds playing at once; more are dropped quietly
SYNTH_SEED = 1234  # the noise of the explosions is the same every run
SMALL_ASTEROID_PX = 30.0  # asteroids up to this radius use the higher-pitched burst
VOLUMES = MappingProxyType(
    {"fire": 0.22, "asteroid": 0.5, "asteroid_small": 0.45, "ship": 0.8, "respawn": 0.4, "match_over": 0.55,
     "count": 0.35, "go": 0.4}
)


def _time(seconds: float, rate: int) -> np.ndarray:
    return np.arange(int(seconds * rate)) / rate


def _tone(freq: float | np.ndarray, seconds: float, rate: int) -> np.ndarray:
    """A sine of constant or sample-by-sample frequency, with a soft second harmonic."""
    n = int(seconds * rate)
    f = np.broadcast_to(np.asarray(freq, dtype=np.float64), (n,))
    phase = 2.0 * np.pi * np.cumsum(f) / rate
    return np.sin(phase) + 0.25 * np.sin(2.0 * phase)


def _smooth(signal: np.ndarray, width: int) -> np.ndarray:
    """A moving average over ``width`` samples: a cheap low-pass filter."""
    if width <= 1:
        return signal
    return np.convolve(signal, np.ones(width) / width, mode="same")


def _fade(signal: np.ndarray, rate: int, attack_s: float = 0.004, release_s: float = 0.01) -> np.ndarray:
    """Short linear fade in and out, so no sound starts or stops with a click."""
    out = signal.copy()
    a = max(1, int(attack_s * rate))
    r = max(1, int(release_s * rate))
    out[:a] *= np.linspace(0.0, 1.0, a)
    out[-r:] *= np.linspace(1.0, 0.0, r)
    return out


def synthesize(rate: int = SAMPLE_RATE, seed: int = SYNTH_SEED) -> dict[str, np.ndarray]:
    """Every effect as mono float64 samples in [-1, 1] at ``rate`` samples per second."""
    rng = np.random.default_rng(seed)
    sounds: dict[str, np.ndarray] = {}

    t = _time(0.13, rate)
    sounds["fire"] = _tone(1500.0 * np.exp(-t * 14.0) + 250.0, 0.13, rate) * np.exp(-t * 22.0)

    for name, seconds, width, decay in (("asteroid", 0.45, 18, 9.0), ("asteroid_small", 0.3, 7, 14.0)):
        t = _time(seconds, rate)
        noise = _smooth(rng.uniform(-1.0, 1.0, t.size), width)
        sounds[name] = noise / np.abs(noise).max() * np.exp(-t * decay)

    t = _time(1.1, rate)
    rumble = _smooth(rng.uniform(-1.0, 1.0, t.size), 40)
    rumble /= np.abs(rumble).max()
    boom = np.sin(2.0 * np.pi * np.cumsum(90.0 * np.exp(-t * 2.5) + 35.0) / rate)
    sounds["ship"] = (0.75 * rumble + 0.5 * boom) * np.exp(-t * 3.5)

    notes = ((659.3, 0.0, 0.3), (987.8, 0.09, 0.35))  # E5 then B5: (Hz, start s, length s)
    sounds["respawn"] = _melody(notes, rate, decay=9.0)

    notes = ((523.3, 0.0, 0.2), (659.3, 0.13, 0.2), (784.0, 0.26, 0.2), (1046.5, 0.39, 0.6))  # C E G C
    sounds["match_over"] = _melody(notes, rate, decay=4.5)

    sounds["count"] = _melody(((587.3, 0.0, 0.16),), rate, decay=12.0)  # D5
    sounds["go"] = _melody(((1174.7, 0.0, 0.4),), rate, decay=6.0)  # D6, an octave up, held longer

    return {name: _fade(samples / max(1e-9, np.abs(samples).max()), rate) for name, samples in sounds.items()}


def _melody(notes: tuple[tuple[float, float, float], ...], rate: int, decay: float) -> np.ndarray:
    end = max(start + length for _, start, length in notes)
    out = np.zeros(int(end * rate) + 1)
    for freq, start, length in notes:
        t = _time(length, rate)
        note = _fade(_tone(freq, length, rate) * np.exp(-t * decay), rate)
        i = int(start * rate)
        out[i : i + note.size] += note
    return out


def _to_mixer_format(samples: np.ndarray, size: int, channels: int) -> np.ndarray:
    """Mono float samples as the array ``pygame.sndarray.make_sound`` wants for this mixer."""
    if size == -16:
        data = (samples * 32767).astype(np.int16)
    elif size == 16:
        data = (samples * 32767 + 32768).astype(np.uint16)
    elif size == -8:
        data = (samples * 127).astype(np.int8)
    elif size == 8:
        data = (samples * 127 + 128).astype(np.uint8)
    elif size == 32:
        data = samples.astype(np.float32)
    else:
        raise ValueError(f"unsupported mixer sample size {size}")
    if channels == 1:
        return np.ascontiguousarray(data)
    return np.ascontiguousarray(np.repeat(data[:, None], channels, axis=1))


class Sounds:
    """The game's sound effects; silent (``available`` False) when the mixer cannot start.

    Call :meth:`play_events` with each tick's events; :meth:`toggle_mute` for the M key.
    ``enabled=False`` never touches the mixer (for screenshots and other silent uses).
    """

    def __init__(self, muted: bool = False, enabled: bool = True) -> None:
        self.muted = muted
        self.enabled = enabled
        self.available = False
        self.problem = ""  # why there is no sound, if there is none
        self._sounds: dict[str, pygame.mixer.Sound] = {}
        if not enabled:
            return
        try:
            if not pygame.mixer.get_init():
                pygame.mixer.init(frequency=SAMPLE_RATE, size=-16, channels=2, buffer=BUFFER_SAMPLES)
            rate, size, channels = pygame.mixer.get_init()
            pygame.mixer.set_num_channels(MIXER_CHANNELS)
            for name, samples in synthesize(rate).items():
                sound = pygame.sndarray.make_sound(_to_mixer_format(samples, size, channels))
                sound.set_volume(VOLUMES[name])
                self._sounds[name] = sound
            self.available = True
        except (pygame.error, NotImplementedError, ImportError, ValueError, TypeError) as error:
            self._sounds = {}
            self.problem = str(error) or type(error).__name__

    @property
    def status(self) -> str:
        """A word for the help line: "muted", "no sound" (the mixer failed) or "" (all well)."""
        if self.muted:
            return "muted"
        return "no sound" if self.enabled and not self.available else ""

    def toggle_mute(self) -> bool:
        """Mute or unmute; returns the new muted state."""
        self.muted = not self.muted
        if self.muted and self.available:
            pygame.mixer.stop()
        return self.muted

    def play(self, name: str) -> None:
        """Play one effect by name (see the module docstring); nothing happens when silent."""
        if self.muted or not self.available:
            return
        self._sounds[name].play()

    def play_events(self, events: list[Event]) -> None:
        """The sounds of one tick's events."""
        for event in events:
            if event.kind == "fire":
                self.play("fire")
            elif event.kind == "asteroid_shot":
                self.play("asteroid_small" if event.radius <= SMALL_ASTEROID_PX else "asteroid")
            elif event.kind == "ship_destroyed":
                self.play("ship")
            elif event.kind == "respawn":
                self.play("respawn")
            elif event.kind == "match_over":
                self.play("match_over")

    def close(self) -> None:
        """Stop and release the mixer (if this object started it or not)."""
        self._sounds = {}
        self.available = False
        if pygame.mixer.get_init():
            pygame.mixer.quit()
