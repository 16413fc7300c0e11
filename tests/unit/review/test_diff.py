"""changed_lines: the head lines a GitHub ``patch`` adds, from real GitHub-format hunks."""

from __future__ import annotations

from backbone.review.diff import changed_lines

# A new file, as GitHub lists it (status "added"): every line is an addition.
ADDED = "@@ -0,0 +1,3 @@\n+import os\n+\n+print(os.sep)"

# Two hunks of a modified file: a changed line (-/+), an insertion, context around both.
MODIFIED = (
    "@@ -1,5 +1,5 @@\n"
    " import sys\n"
    "-import os\n"
    "+import os.path\n"
    " \n"
    " def main():\n"
    "     return 0\n"
    "@@ -20,3 +20,5 @@ def helper(value):\n"
    "     if value:\n"
    "         return 1\n"
    "+    if value is None:\n"
    "+        return 2\n"
    "     return 3"
)


def test_none_and_empty_patch_change_nothing() -> None:
    """A binary file (patch None) or an empty patch has no changed lines."""
    assert changed_lines(None) == frozenset()
    assert changed_lines("") == frozenset()


def test_a_new_file_changes_every_line() -> None:
    """``@@ -0,0 +1,3 @@`` with three additions: lines 1 to 3."""
    assert changed_lines(ADDED) == {1, 2, 3}


def test_modified_lines_and_insertions_over_two_hunks() -> None:
    """A replaced line counts once at its head number; context and removals do not."""
    assert changed_lines(MODIFIED) == {2, 22, 23}


def test_no_newline_markers_are_not_lines() -> None:
    """``\\ No newline at end of file`` after either side shifts no line number."""
    patch = (
        "@@ -1,2 +1,3 @@\n"
        " a = 1\n"
        "-b = 2\n"
        "\\ No newline at end of file\n"
        "+b = 3\n"
        "+c = 4\n"
        "\\ No newline at end of file"
    )
    assert changed_lines(patch) == {2, 3}


def test_a_pure_deletion_changes_no_head_line() -> None:
    """A hunk that only removes lines leaves nothing on the head to comment on."""
    assert changed_lines("@@ -3,2 +2,0 @@\n-x = 1\n-y = 2") == frozenset()


def test_single_line_hunk_header_without_counts() -> None:
    """``@@ -1 +1 @@`` (counts omitted mean 1) still gives the right line."""
    assert changed_lines("@@ -1 +1 @@\n-old\n+new") == {1}


def test_context_stripped_to_an_empty_line_still_counts() -> None:
    """An empty context line (its space stripped) advances the head line number."""
    assert changed_lines("@@ -1,3 +1,3 @@\n x = 1\n\n-y = 2\n+y = 3") == {3}


def test_lines_starting_with_diff_markers_inside_content() -> None:
    """An added line whose text starts with ``-`` or ``@@`` is an addition like any other."""
    patch = "@@ -1,1 +1,3 @@\n keep\n+--flag\n+@@ not a header"
    assert changed_lines(patch) == {2, 3}


def test_crlf_files_keep_their_line_numbers() -> None:
    """A file with CRLF endings: the ``\\r`` stays in the text, numbering is unchanged."""
    patch = "@@ -1,2 +1,2 @@\r\n a = 1\r\n-b = 2\r\n+b = 3\r"
    assert changed_lines(patch) == {2}


def test_form_feed_inside_a_line_does_not_split_it() -> None:
    """Only ``\\n`` ends a diff line (``str.splitlines`` would split on a form feed)."""
    patch = "@@ -1,1 +1,2 @@\n+x = 1\x0c# page\n+y = 2"
    assert changed_lines(patch) == {1, 2}


def test_text_after_the_hunk_counts_nothing() -> None:
    """Lines beyond a hunk's declared head count are not numbered as head lines."""
    assert changed_lines("@@ -1,1 +1,1 @@\n-a\n+b\n+stray") == {1}
