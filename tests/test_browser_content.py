"""``make check-book`` fails on what a reader should never see: a machine path, "± 0.0", an internal method label
and an empty table; code is left alone (a setting named in code is meant to be typed)."""

from __future__ import annotations

from gcnprune.book.browser_check import content_problems


def page(tmp_path, body: str):
    html = tmp_path / "html"
    (html / "notebooks").mkdir(parents=True, exist_ok=True)
    path = html / "notebooks" / "chapter.html"
    path.write_text(f"<html><body>{body}</body></html>")
    return html, path


def kinds(tmp_path, body: str) -> list[tuple[str, str]]:
    html, path = page(tmp_path, body)
    return [(p.kind, p.detail) for p in content_problems(html, [path])]


def test_a_clean_page_has_no_problem(tmp_path):
    body = ("<p>PMP reaches 81.2 ± 3.4 at 0.98; set <code>scope=\"layer\"</code> for one prior per layer.</p>"
            "<pre>gcnprune grid --set probabilistic.alignment_weight=0.0 --results /tmp/x</pre>"
            "<table><tr><th>method</th></tr><tr><td>PMP without alignment</td></tr></table>")  # fmt: skip
    assert kinds(tmp_path, body) == []


def test_a_machine_path_is_found(tmp_path):
    found = kinds(tmp_path, "<p>fpha: not found (looked in: /work/shared/data/fpha, data/fpha)</p>")
    assert found == [("machine path", "/work/shared/data/fpha")]


def test_a_zero_spread_is_found(tmp_path):
    found = kinds(tmp_path, "<table><tr><td>90.8 ± 0.0</td></tr></table>")
    assert [k for k, _ in found] == ["zero spread"] and "90.8 ± 0.0" in found[0][1]
    assert kinds(tmp_path, "<p>90.8 ± 0.04</p>") == []  # a small spread is a spread


def test_an_internal_label_is_named_with_its_readable_name(tmp_path):
    found = kinds(tmp_path, "<table><tr><td>probabilistic (alignment_weight=0.0)</td></tr></table>")
    assert found == [("internal label", "'probabilistic (alignment_weight=0.0)' (readers see 'PMP without alignment')")]


def test_an_empty_table_is_found(tmp_path):
    found = kinds(tmp_path, "<table><tr><th>a</th></tr><tr><td> </td></tr></table><table><tr><td>1</td></tr></table>")
    assert found == [("empty table", "table 1 has no values")]
