"""Asteroids Duel: ``python main.py`` opens the game's menu; ``python main.py --help`` lists the
commands. The command line itself is the :mod:`cli` package."""

from cli import cli, main

__all__ = ["cli", "main"]

if __name__ == "__main__":
    main()
