"""`duet questions import FILE` and `duet questions export`: a team brings its bank in as
YAML or JSON and takes it out again in the same shape. Every question of a file is checked
before any is written, and a file with one problem writes nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest
import yaml

from server import cli
from server.question_files import example_questions
from tests.accounts_helpers import register
from tests.test_questions import TWO_SUM

EXAMPLES = sorted(example_questions().values(), key=lambda question: question.title)


@pytest.fixture
def duet(backing, tmp_path, monkeypatch, capsys):
    """`duet …` in this process against the test database; answers (status, out, err)."""
    monkeypatch.setenv("DUET_DATABASE_URL", backing.database_url)
    monkeypatch.setenv("DUET_REDIS_URL", backing.redis_url)
    monkeypatch.setenv("DUET_DATA_DIR", str(tmp_path / "data"))

    async def run(*arguments: str) -> tuple[int, str, str]:
        capsys.readouterr()
        # main() runs its own event loop, so it gets a thread of its own.
        status = await asyncio.to_thread(cli.main, list(arguments))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


async def titles(db, organization_id: str) -> list[tuple[str, int]]:
    rows = await db.fetch(
        "SELECT v.title, q.latest_version FROM questions q JOIN question_versions v"
        " ON v.question_id = q.id AND v.version = q.latest_version"
        " WHERE q.organization_id = $1 AND q.deleted_at IS NULL ORDER BY v.title",
        uuid.UUID(organization_id),
    )
    return [(row["title"], row["latest_version"]) for row in rows]


def write(path: Path, data: object) -> str:
    path.write_text(yaml.safe_dump(data, sort_keys=False) if path.suffix != ".json"
                    else json.dumps(data))  # fmt: skip
    return str(path)


async def test_import_then_export_round_trips_the_examples(client, db, duet, tmp_path):
    owner = await register(client)
    folder = Path(cli.__file__).parent / "question_examples"
    for name in ("two-sum.yaml", "balanced-brackets.yaml", "interval-merge.yaml"):
        status, out, err = await duet("questions", "import", str(folder / name),
                                      "--organization", owner.username)  # fmt: skip
        assert status == 0, err
        assert "created" in out and "1 new, 0 new version(s)" in out
    assert await titles(db, owner.organization_id) == [
        ("Balanced brackets", 1), ("Interval merge", 1), ("Two sum", 1),
    ]  # fmt: skip

    status, exported, err = await duet("questions", "export", "--organization", owner.email)
    assert status == 0, err
    bank = yaml.safe_load(exported)
    assert [item["title"] for item in bank] == ["Balanced brackets", "Interval merge", "Two sum"]
    by_title = {question.title: question for question in EXAMPLES}
    for item in bank:
        # Exactly the shape the file had: the API's QuestionRequest, camelCase, every field.
        assert item == by_title[item["title"]].model_dump(mode="json", by_alias=True)

    # Into another organization and out again: the same file.
    other = await register(client)
    again = tmp_path / "bank.yaml"
    again.write_text(exported)
    status, out, err = await duet("questions", "import", str(again),
                                  "--organization", other.organization_id)  # fmt: skip
    assert status == 0, err
    assert "imported 3 question(s)" in out and "3 new, 0 new version(s)" in out
    status, exported_again, _ = await duet(
        "questions", "export", "--organization", other.organization_id
    )
    assert exported_again == exported


async def test_json_both_ways_and_export_to_a_file(client, duet, tmp_path):
    owner = await register(client)
    source = write(tmp_path / "one.json", TWO_SUM)  # one question, not a list
    status, out, err = await duet("questions", "import", source, "--organization", owner.email)
    assert status == 0, err and "created 'Two sum'" in out

    target = tmp_path / "out" / "bank.json"
    target.parent.mkdir()
    status, out, err = await duet("questions", "export", "--organization", owner.username,
                                  "--output", str(target))  # fmt: skip
    assert status == 0, err
    assert out.strip() == f"exported 1 question(s) to {target}"
    (exported,) = json.loads(target.read_text())  # the format follows the suffix
    assert exported["title"] == "Two sum" and exported["tags"] == ["arrays", "hashing"]
    assert exported["tests"][1] == {"name": "large", "stdin": "1 2\n3\n",
                                    "expectedStdout": "0 1\n", "hidden": True,
                                    "timeoutMs": 2000, "weight": 2.0}  # fmt: skip

    status, out, _ = await duet("questions", "export", "--organization", owner.username,
                                "--format", "json")  # fmt: skip
    assert status == 0 and json.loads(out) == [exported]
    yaml_file = tmp_path / "bank.txt"
    status, _, _ = await duet("questions", "export", "--organization", owner.username,
                              "--output", str(yaml_file), "--format", "yaml")  # fmt: skip
    assert status == 0 and yaml.safe_load(yaml_file.read_text()) == [exported]


async def test_a_title_already_in_the_bank_gets_a_new_version(client, db, duet, tmp_path):
    owner = await register(client)
    first = write(tmp_path / "first.yaml", [TWO_SUM, {**TWO_SUM, "title": "Other"}])
    assert (await duet("questions", "import", first, "--organization", owner.username))[0] == 0
    changed = write(tmp_path / "changed.yaml", [{**TWO_SUM, "title": "two SUM",
                                                 "difficulty": "hard"}])  # fmt: skip
    status, out, err = await duet("questions", "import", changed, "--organization", owner.email)
    assert status == 0, err
    assert "'two SUM' was already in the bank: added version 2" in out
    assert "0 new, 1 new version(s)" in out
    assert await titles(db, owner.organization_id) == [("Other", 1), ("two SUM", 2)]
    first_version = await db.fetchval(
        "SELECT v.difficulty FROM question_versions v JOIN questions q ON q.id = v.question_id"
        " WHERE q.organization_id = $1 AND v.version = 1 AND v.title = 'Two sum'",
        uuid.UUID(owner.organization_id),
    )
    assert first_version == "easy"  # the old version stays as it was
    activity = await db.fetchval(
        "SELECT count(*) FROM activity WHERE organization_id = $1 AND action = $2"
        " AND actor_type = 'system'",
        uuid.UUID(owner.organization_id), "questions_imported",
    )  # fmt: skip
    assert activity == 2


def _bad_test(**changes):
    return {**TWO_SUM, "tests": [{**TWO_SUM["tests"][0], **changes}]}


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("title: [unclosed\n", "not valid YAML"),
        ("", "holds no question"),
        ("just a sentence\n", "question 1: must be a mapping"),
        (yaml.safe_dump([TWO_SUM, _bad_test(weight=0)]),
         "question 2 ('Two sum'): 'tests.0.weight'"),
        (yaml.safe_dump([{**TWO_SUM, "starters": {"cobol": "x"}}]),
         "question 1 ('Two sum'): 'starters.cobol': unknown language"),
        (yaml.safe_dump([TWO_SUM, {**TWO_SUM, "compare": "fuzzy"}]),
         "question 2 ('Two sum'): 'compare'"),
        (yaml.safe_dump([{"prompt": "no title"}]), "question 1: 'title' is required"),
        (yaml.safe_dump([{**TWO_SUM, "hiddenTests": []}]), "unknown field 'hiddenTests'"),
        (yaml.safe_dump([TWO_SUM, {**TWO_SUM, "title": "two sum"}]),
         "question 2 ('two sum'): 'title': question 1 of the file has the same title"),
    ],
)  # fmt: skip
async def test_a_bad_file_is_refused_naming_the_problem_and_writes_nothing(
    client, db, duet, tmp_path, content, says
):
    owner = await register(client)
    path = tmp_path / "bank.yaml"
    path.write_text(content)
    status, out, err = await duet("questions", "import", str(path), "--organization", owner.email)
    assert status == 1 and out == ""
    assert says in err and "nothing was imported" in err, err
    assert await titles(db, owner.organization_id) == []


async def test_bad_json_a_missing_file_and_an_unknown_organization(client, db, duet, tmp_path):
    owner = await register(client)
    broken = tmp_path / "bank.json"
    broken.write_text('[{"title": "x",}]')
    status, _, err = await duet("questions", "import", str(broken), "--organization", owner.email)
    assert status == 1 and "not valid JSON: line 1, column 16" in err, err

    missing = tmp_path / "missing.yaml"
    status, _, err = await duet("questions", "import", str(missing), "--organization", owner.email)
    assert status == 1 and f"cannot read {missing}" in err, err

    good = write(tmp_path / "good.yaml", [TWO_SUM])
    for nobody in ("nobody_here", str(uuid.uuid4()), "nobody@example.com"):
        status, out, err = await duet("questions", "import", good, "--organization", nobody)
        assert status == 1 and out == "", err
        assert f"no organization with the id {nobody!r}" in err
        status, out, err = await duet("questions", "export", "--organization", nobody)
        assert status == 1 and out == "" and "no organization" in err
    assert await titles(db, owner.organization_id) == []

    with pytest.raises(SystemExit) as refused:  # argparse: the flag is required
        await duet("questions", "import", good)
    assert refused.value.code == 2


async def test_an_empty_bank_exports_an_empty_list_that_imports(client, duet, tmp_path):
    owner = await register(client)
    status, out, _ = await duet("questions", "export", "--organization", owner.username)
    assert status == 0 and yaml.safe_load(out) == []
    path = tmp_path / "empty.yaml"
    path.write_text(out)
    status, out, err = await duet("questions", "import", str(path),
                                  "--organization", owner.username)  # fmt: skip
    assert status == 0 and "imported 0 question(s)" in out, err
