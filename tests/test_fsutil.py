"""Scratch folders: a sweep leaves alone what another run still uses, or is removing."""

import os

from mechanics.site import fsutil


def test_a_sweep_skips_a_scratch_folder_its_creator_removes_while_the_sweep_runs(tmp_path, monkeypatch):
    """scratch(remove_in_background=True) removes its folder without the parent's lock, so a
    sweep may list a folder that is gone by the time it opens it."""
    vanishing = tmp_path / f"{fsutil.TEMP_PREFIX}_site-vanishing"
    vanishing.mkdir()
    dead = tmp_path / f"{fsutil.TEMP_PREFIX}_site-dead"  # left by a run that died: unlocked
    dead.mkdir()
    real_open = os.open

    def open_after_the_creator_removed_it(path, flags, *args, **kwargs):
        if str(path) == str(vanishing):
            vanishing.rmdir()
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(fsutil.os, "open", open_after_the_creator_removed_it)
    fsutil.sweep(tmp_path, made_for="_site")
    assert not vanishing.exists() and not dead.exists()
