"""Key presses as the window receives them, for the app tests."""

import pygame


def press(*keys: int) -> None:
    """Post a KEYDOWN event for each key, in order."""
    for key in keys:
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="", scancode=0))
