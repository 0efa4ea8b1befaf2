"""A draft policy for a new scheme year made from an earlier one (SPEC P4).

The draft is the earlier TOML file with every date, the year and the title moved on; it
keeps the comments, is validated like any policy file, and is edited and shipped as
`policies/{year}.toml`, becoming a version at the next migrate.
"""

import datetime
import re

DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _shift(match: re.Match, years: int) -> str:
    year, month, day = (int(part) for part in match.groups())
    if (month, day) == (2, 29):
        day = 28  # 29 February only exists in leap years
    return datetime.date(year + years, month, day).isoformat()


def draft_from(text: str, source_year: int, year: int) -> str:
    years = year - source_year
    text = DATE.sub(lambda m: _shift(m, years), text)
    text = re.sub(rf"^year = {source_year}$", f"year = {year}", text, flags=re.M)
    text = text.replace(f"{source_year}年", f"{year}年")
    header = (
        f"# DRAFT for {year}, made from the {source_year} policy: check every value "
        "against the new notice before shipping it.\n"
    )
    return header + text
