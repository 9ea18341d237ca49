"""The incremental line reader: offsets, partial lines, over-long lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_bridge.metrics.lines import LineReader

MAX = 64
line_text = st.text(st.characters(blacklist_characters="\n\r", blacklist_categories=["Cs"]),
                    max_size=100)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(line_text, max_size=15), cuts=st.lists(st.integers(0, 2000), max_size=6),
       trailing=st.booleans())
def test_any_chunking_yields_the_lines_that_fit(tmp_path_factory, lines, cuts, trailing):
    path = tmp_path_factory.mktemp("lines") / "out.log"
    data = "\n".join(lines).encode() + (b"\n" if trailing and lines else b"")
    reader = LineReader(path, max_line=MAX)
    got: list[str] = []
    written = 0
    with open(path, "wb") as fh:
        for cut in sorted({min(c, len(data)) for c in cuts}) + [len(data)]:
            fh.write(data[written:cut])
            fh.flush()
            written = cut
            got += reader.read_lines()
            assert len(reader._partial) <= MAX  # memory stays bounded whatever arrives
    got += reader.read_lines(final=True)
    pieces = data.split(b"\n")
    partial = pieces.pop()  # what follows the last newline
    whole = [*pieces, partial] if partial else pieces
    assert got == [p.decode() for p in whole if len(p) <= MAX]
    assert reader.skipped_lines == sum(1 for p in whole if len(p) > MAX)


def test_reads_only_new_bytes(tmp_path):
    path = tmp_path / "out.log"
    path.write_bytes(b"one\ntw")
    reader = LineReader(path)
    assert reader.read_lines() == ["one"]
    assert reader.offset == 6
    with open(path, "ab") as fh:
        fh.write(b"o\nthree\r\n")
    assert reader.read_lines() == ["two", "three"]
    assert reader.read_lines() == []
    assert reader.offset == path.stat().st_size


def test_a_missing_file_reads_as_empty_until_it_appears(tmp_path):
    path = tmp_path / "later.log"
    reader = LineReader(path)
    assert reader.read_lines() == []
    path.write_text("x=1\n")
    assert reader.read_lines() == ["x=1"]


def test_an_8_mb_line_is_skipped_and_the_next_line_read(tmp_path):
    path = tmp_path / "big.log"
    reader = LineReader(path, max_line=1 << 20)
    with open(path, "wb") as fh:
        fh.write(b"before\n")
        for _ in range(8):
            fh.write(b"x" * (1 << 20))
            fh.flush()
            assert reader.read_lines() in (["before"], [])
            assert len(reader._partial) <= 1 << 20
        fh.write(b"\nafter 1\n")
    assert reader.read_lines(final=True) == ["after 1"]
    assert reader.skipped_lines == 1


def test_invalid_utf8_is_replaced_not_fatal(tmp_path):
    path = tmp_path / "bin.log"
    path.write_bytes(b"loss=\xff0.5\n")
    assert LineReader(path).read_lines() == ["loss=\ufffd0.5"]


def test_a_final_read_is_bounded_too_and_says_when_more_is_waiting(tmp_path):
    path = tmp_path / "flood.log"
    path.write_bytes(b"".join(b"line %05d\n" % i for i in range(1000)) + b"tail")
    reader = LineReader(path, budget=1100)  # 100 lines of 11 bytes per read
    got: list[str] = []
    reads = 0
    while True:
        got += reader.read_lines(final=True)
        reads += 1
        if not reader.more:
            break
    # The unterminated last line is ended only once the file was read to its end.
    assert got == [f"line {i:05d}" for i in range(1000)] + ["tail"]
    assert reads == 11
