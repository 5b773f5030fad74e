"""Every `duet` command finds the data dir the same way, so `duet admin create` run from
under the directory `duet serve` started in reaches that server's embedded Postgres
without `--data-dir`."""

from __future__ import annotations

import pytest

from server.config import Settings, find_data_dir


@pytest.fixture
def unset(monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("DUET_DATA_DIR", raising=False)
    return Settings()


def test_the_nearest_dot_duet_above_the_working_directory_is_used(tmp_path, unset):
    (tmp_path / ".duet").mkdir()
    below = tmp_path / "web" / "src"
    below.mkdir(parents=True)
    assert find_data_dir(None, unset, below) == tmp_path / ".duet"
    assert find_data_dir(None, unset, tmp_path) == tmp_path / ".duet"


def test_without_one_a_new_dot_duet_goes_in_the_working_directory(tmp_path, unset):
    assert find_data_dir(None, unset, tmp_path) == tmp_path / ".duet"


def test_the_flag_and_the_variable_come_first(tmp_path, monkeypatch):
    (tmp_path / ".duet").mkdir()
    monkeypatch.setenv("DUET_DATA_DIR", str(tmp_path / "from-env"))
    from_env = Settings()
    assert find_data_dir(None, from_env, tmp_path) == tmp_path / "from-env"
    assert find_data_dir(tmp_path / "flag", from_env, tmp_path) == tmp_path / "flag"
