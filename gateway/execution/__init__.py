"""Compiled execution plans: the ``compiled`` engine (``CROSSFADE_EXECUTOR``)."""
