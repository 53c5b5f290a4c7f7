"""Tests of the settings: defaults, the TOML file, ASKFIND_* variables, and their order."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.errors import ConfigError
from indexer.settings import CONFIG_ENV, Settings, describe_settings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run in an empty folder (no askfind.toml) with no ASKFIND_* variables set."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    for name in list(os.environ):
        if name.upper().startswith("ASKFIND_"):
            monkeypatch.delenv(name)
    return workdir


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "askfind-test.toml"
    path.write_text(
        'port = 7000\nfusion = "rrf"\nlanguages = ["en"]\ndefault_language = "en"\n'
        'data_dir = "/srv/askfind"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(CONFIG_ENV, str(path))
    return path


def test_defaults_match_the_design() -> None:
    settings = load_settings()
    assert settings.data_dir == Path("askfind-data")
    assert settings.backend == "embedded"
    assert settings.languages == ("de", "en")
    assert settings.default_language == "de"
    assert settings.fusion == "linear"
    assert settings.suggest_limit == 5
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_environment_variables_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKFIND_PORT", "9000")
    monkeypatch.setenv("ASKFIND_FUSION", "rrf")
    monkeypatch.setenv("ASKFIND_DATA_DIR", "/var/lib/askfind")
    monkeypatch.setenv("ASKFIND_CONFIDENCE_FLOOR", "0.5")
    monkeypatch.setenv("ASKFIND_LANGUAGES", '["en", "fr"]')
    monkeypatch.setenv("ASKFIND_DEFAULT_LANGUAGE", "en")

    settings = load_settings()

    assert settings.port == 9000
    assert settings.fusion == "rrf"
    assert settings.data_dir == Path("/var/lib/askfind")
    assert settings.confidence_floor == 0.5
    assert settings.languages == ("en", "fr")
    assert settings.default_language == "en"
    assert settings.suggest_limit == 5  # untouched settings keep their defaults


def test_unrelated_askfind_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKFIND_NOT_A_SETTING", "1")
    assert load_settings().port == 8000


def test_toml_file_named_by_askfind_config_is_read(config_file: Path) -> None:
    settings = load_settings()
    assert settings.port == 7000
    assert settings.fusion == "rrf"
    assert settings.languages == ("en",)
    assert settings.default_language == "en"
    assert settings.data_dir == Path("/srv/askfind")
    assert settings.backend == "embedded"  # not in the file: default


def test_askfind_toml_in_the_working_directory_is_read(clean_environment: Path) -> None:
    (clean_environment / "askfind.toml").write_text("suggest_limit = 8\n", encoding="utf-8")
    assert load_settings().suggest_limit == 8


def test_environment_wins_over_the_file(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASKFIND_PORT", "9000")
    settings = load_settings()
    assert settings.port == 9000
    assert settings.fusion == "rrf"  # still from the file


def test_explicit_overrides_win_over_everything_and_none_means_not_given(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASKFIND_PORT", "9000")
    settings = load_settings(port=1234, fusion=None)
    assert settings.port == 1234
    assert settings.fusion == "rrf"


def test_settings_are_immutable() -> None:
    settings = load_settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("PORT", "nine", "port: Input should be a valid integer"),
        ("PORT", "0", "port: Input should be greater than or equal to 1"),
        ("FUSION", "magic", "fusion: Input should be 'linear' or 'rrf'"),
        ("CONFIDENCE_FLOOR", "2", "confidence_floor: Input should be less than or equal to 1"),
        ("BACKEND", "solr", "backend: Input should be 'embedded' or 'elasticsearch'"),
        ("RRF_K", "0", "rrf_k: Input should be greater than 0"),
    ],
)
def test_invalid_environment_value_is_a_config_error_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, problem: str
) -> None:
    monkeypatch.setenv(f"ASKFIND_{name}", value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert str(raised.value).startswith(f"invalid settings: {problem}")


def test_invalid_value_in_the_file_is_a_config_error_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('port = "x"\n', encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(path))
    with pytest.raises(ConfigError, match=r"^invalid settings: port: Input should be a valid"):
        load_settings()


def test_unknown_setting_in_the_file_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "typo.toml"
    path.write_text("prot = 8080\n", encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(path))
    with pytest.raises(ConfigError, match=r"^invalid settings: prot: Extra inputs are not"):
        load_settings()


def test_invalid_override_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^invalid settings: workers: Input should be greater"):
        load_settings(workers=0)


def test_config_variable_naming_a_missing_file_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "missing.toml"
    monkeypatch.setenv(CONFIG_ENV, str(missing))
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert str(raised.value) == f"ASKFIND_CONFIG names {str(missing)!r}, which is not a file"


def test_config_error_keeps_the_validation_error_as_its_cause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASKFIND_PORT", "nine")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert raised.value.__cause__ is not None


def test_unparsable_list_variable_is_a_config_error_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASKFIND_LANGUAGES", "[de, en")
    with pytest.raises(ConfigError, match="languages"):
        load_settings()


def test_languages_variable_accepts_the_form_the_documentation_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    documented = dict((name, default) for name, default, _ in describe_settings())["languages"]
    assert documented == "de,en"
    monkeypatch.setenv("ASKFIND_LANGUAGES", documented)
    assert load_settings().languages == ("de", "en")


@pytest.mark.parametrize(
    ("value", "languages"),
    [("de, EN", ("de", "en")), ("de,,en", ("de", "en")), ('["en", "fr"]', ("en", "fr"))],
)
def test_languages_variable_is_comma_separated_or_a_json_list(
    monkeypatch: pytest.MonkeyPatch, value: str, languages: tuple[str, ...]
) -> None:
    monkeypatch.setenv("ASKFIND_LANGUAGES", value)
    assert load_settings().languages == languages


@pytest.mark.parametrize("value", ["de,english", '["de", 7]', "", "[]"])
def test_languages_that_are_no_language_codes_are_a_config_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ASKFIND_LANGUAGES", value)
    with pytest.raises(ConfigError, match="languages"):
        load_settings()


def test_broken_toml_file_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("port = = 8000\n", encoding="utf-8")
    monkeypatch.setenv(CONFIG_ENV, str(path))
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        load_settings()


def test_every_setting_is_described_with_its_default_and_help() -> None:
    rows = describe_settings()
    names = [name for name, _, _ in rows]
    assert names == list(Settings.model_fields)
    assert len(names) == len(set(names))
    described = {name: (default, text) for name, default, text in rows}
    assert described["port"][0] == "8000"
    assert described["languages"][0] == "de,en"
    assert described["fusion"][0] == "linear"
    assert [name for name, (_, text) in described.items() if not text.strip()] == []
