from __future__ import annotations

import random

import pytest
from pycrdt import Doc

from collab.diff import apply_edits, diff_text
from collab.document import code_text, load_doc, read_code, seed_update, state_vector
from collab.rebase import apply_full_text, apply_text_edits, client_base


def sync_all(docs: list[Doc]) -> None:
    for source in docs:
        for target in docs:
            if source is not target:
                target.apply_update(source.get_update(target.get_state()))


def insert_at(doc: Doc, index: int, value: str) -> None:
    text = read_code(doc)
    code_text(doc).insert(len(text[:index].encode()), value)


@pytest.mark.parametrize("count", [2, 3])
def test_concurrent_edits_at_the_same_spot_converge(count: int) -> None:
    seed = seed_update("A😀B é", "python")
    docs = [load_doc(seed) for _ in range(count)]
    for number, doc in enumerate(docs):
        insert_at(doc, 2, f"<{number}😀>")
        # Also delete the same character everywhere: deletes are idempotent.
        text = read_code(doc)
        start = len(text[:1].encode())
        del code_text(doc)[start : start + len("😀".encode())]
    sync_all(docs)
    texts = {read_code(doc) for doc in docs}
    assert len(texts) == 1
    merged = texts.pop()
    for number in range(count):
        assert f"<{number}😀>" in merged
    assert merged.startswith("A") and merged.endswith("B é")
    assert merged.count("😀") == count


def test_random_concurrent_sessions_converge() -> None:
    rng = random.Random(3)
    seed = seed_update("start\n", "python")
    docs = [load_doc(seed) for _ in range(3)]
    for _ in range(40):
        for doc in docs:
            text = read_code(doc)
            if text and rng.random() < 0.3:
                index = rng.randrange(len(text))
                start = len(text[:index].encode())
                del code_text(doc)[start : start + len(text[index].encode())]
            else:
                insert_at(doc, rng.randrange(len(text) + 1), rng.choice(["é", "😀", "x", "\n"]))
        if rng.random() < 0.3:
            sync_all(docs)
    sync_all(docs)
    assert len({read_code(doc) for doc in docs}) == 1


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("", ""),
        ("", "abc"),
        ("abc", ""),
        ("héllo 😀 wörld", "héllo 🎉 wörld!"),
        ("a\nb\nc\nd\n", "a\nB\nc\nd\ne\n"),
        ("line one\nline two\nline three\n", "line one\nline 2\nline three\nline four\n"),
        ("😀😀😀", "😀🎉😀"),
        ("x" * 3000 + "\n" + "y" * 3000, "y" * 3000 + "\n" + "x" * 3000),
    ],
)
def test_diff_reproduces_new_text(old: str, new: str) -> None:
    edits = diff_text(old, new)
    assert apply_edits(old, edits) == new
    starts = [edit.start for edit in edits]
    assert starts == sorted(starts)
    doc = load_doc(seed_update(old, "python"))
    apply_text_edits(code_text(doc), old, edits)
    assert read_code(doc) == new


def test_diff_is_minimal_for_separate_line_edits() -> None:
    old = "".join(f"line {i}\n" for i in range(200))
    new = old.replace("line 10\n", "line ten\n").replace("line 150\n", "line 150 // é\n")
    edits = diff_text(old, new)
    assert sum(edit.end - edit.start for edit in edits) <= 4
    assert sum(len(edit.insert) for edit in edits) <= 10


def test_random_diffs_round_trip() -> None:
    rng = random.Random(11)
    alphabet = "ab\né😀 "
    for _ in range(200):
        old = "".join(rng.choice(alphabet) for _ in range(rng.randrange(30)))
        new = "".join(rng.choice(alphabet) for _ in range(rng.randrange(30)))
        edits = diff_text(old, new)
        assert apply_edits(old, edits) == new
        doc = load_doc(seed_update(old, "python"))
        apply_text_edits(code_text(doc), old, edits)
        assert read_code(doc) == new


def test_full_text_change_without_concurrency() -> None:
    doc = load_doc(seed_update("def f():\n    pass\n", "python"))
    result = apply_full_text(doc, "def f():\n    return 1 # é😀\n", base=client_base(doc))
    assert result.text == read_code(doc) == "def f():\n    return 1 # é😀\n"
    assert result.update
    browser = load_doc(seed_update("def f():\n    pass\n", "python"))
    browser.apply_update(result.update)
    assert read_code(browser) == result.text


def test_full_text_change_does_not_clobber_a_concurrent_edit() -> None:
    seed = seed_update("def f():\n    return 1\n\nprint(f())\n", "python")
    server = load_doc(seed)
    browser = load_doc(seed)
    json_base = client_base(server)  # the JSON client sees the seed text

    # The browser edits line 4 while the JSON client edits line 2 from its stale copy.
    text = read_code(browser)
    insert_at(browser, text.index("f())") + 4, "  # 😀 browser")
    server.apply_update(browser.get_update(server.get_state()))

    json_new = "def f():\n    return 42  # é\n\nprint(f())\n"
    result = apply_full_text(server, json_new, base=json_base, client_id=424242)
    expected = "def f():\n    return 42  # é\n\nprint(f())  # 😀 browser\n"
    assert result.text == expected
    assert read_code(server) == expected
    browser.apply_update(result.update)
    assert read_code(browser) == expected

    # The next change is made against the merged text the JSON client was sent back.
    again = apply_full_text(
        server, expected.replace("42", "43"), base=result.base, client_id=424242
    )
    assert again.text == expected.replace("42", "43")
    assert again.client_id == 424242


def test_concurrent_insert_inside_a_region_the_json_client_replaced_survives() -> None:
    seed = seed_update("hello world", "python")
    server = load_doc(seed)
    base = client_base(server)
    other = load_doc(seed)
    insert_at(other, 8, "😀")  # "hello wo😀rld"
    server.apply_update(other.get_update(server.get_state()))
    result = apply_full_text(server, "hello there", base=base)
    assert "😀" in result.text
    assert result.text.startswith("hello ")
    assert "world" not in result.text


def test_concurrent_deletes_of_the_same_text() -> None:
    seed = seed_update("keep DELETE keep", "python")
    server = load_doc(seed)
    base = client_base(server)
    other = load_doc(seed)
    text = read_code(other)
    del code_text(other)[text.index("DELETE ") : text.index("DELETE ") + 7]
    server.apply_update(other.get_update(server.get_state()))
    result = apply_full_text(server, "keep keep!", base=base)
    assert result.text == "keep keep!"


def test_base_none_means_replace_current_text() -> None:
    server = load_doc(seed_update("abc", "python"))
    result = apply_full_text(server, "abXc", base=None)
    assert result.text == "abXc"


def test_unchanged_text_produces_no_update() -> None:
    server = load_doc(seed_update("abc", "python"))
    before = server.get_state()
    result = apply_full_text(server, "abc", base=client_base(server), client_id=99)
    assert result.update == b""
    assert server.get_state() == before


def test_stale_client_id_falls_back_to_a_fresh_one() -> None:
    server = load_doc(seed_update("abc", "python"))
    stale_base = client_base(server)
    first = apply_full_text(server, "abcd", base=stale_base, client_id=777)
    assert first.client_id == 777
    # Second change still made against the *old* base: reusing 777 would reuse clocks.
    second = apply_full_text(server, "zabc", base=stale_base, client_id=777)
    assert second.client_id != 777
    assert second.text == "zabcd"
    assert state_vector(server)[777] == 1


def test_lone_surrogates_are_refused() -> None:
    server = load_doc(seed_update("abc", "python"))
    with pytest.raises(ValueError, match="surrogate"):
        apply_full_text(server, "ab\ud800", base=None)
