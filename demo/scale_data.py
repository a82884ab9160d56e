"""What `napflow demo --scale` draws from: UN member States, the national cast, contents."""

import csv
import random
from importlib import resources
from typing import Any

from demo.data import ALL, content, measure
from workflow.content import normalize_content
from workflow.countries import is_iso3

# Share of plans aimed at each state; a state the definition adds later gets weight 1.
GOALS = {"draft": 3, "stakeholder_review": 2, "national_approval": 1.5, "approved": 1.5,
         "submitted": 1.5, "acknowledged": 3, "withdrawn": 1}
# (username suffix, grant role) of each country's cast.
NATIONAL_CAST = (("drafter", "drafter"), ("drafter2", "drafter"), ("customs", "reviewer"),
                 ("health", "reviewer"), ("energy", "reviewer"), ("approver", "approver"),
                 ("mission", "submitter"), ("viewer", "viewer"), ("auditor", "auditor"))
GLOBAL_CAST = (("committee", "committee"), ("auditor", "auditor"), ("admin", "admin"))


def un_members() -> list[str]:
    """The ISO codes of the 193 UN member States, from country_converter's data table (read
    as the TSV it ships, without pandas), each confirmed by the ISO list."""
    table = resources.files("country_converter") / "country_data.tsv"
    with table.open(encoding="utf-8") as rows:
        codes = sorted(r["ISO3"] for r in csv.DictReader(rows, delimiter="\t")
                       if r["UNmember"].strip())
    bad = [c for c in codes if not is_iso3(c)]
    if len(codes) != 193 or bad:
        raise RuntimeError(f"UN membership list has {len(codes)} codes, not ISO: {bad}")
    return codes


def content_pool(rng: random.Random, size: int = 48) -> list[dict[str, Any]]:
    """Plan contents in normal form, drawn from the demo's measures."""
    agencies = ("Ministry of Foreign Affairs", "Customs Administration", "Ministry of Health",
                "Atomic Energy Commission", "Ministry of Trade", "Ministry of Justice")
    texts = ("Adopt a national control list", "Train customs officers on dual-use goods",
             "License laboratories handling dangerous pathogens",
             "Account for nuclear material", "Criminalise proliferation financing",
             "Secure radioactive sources", "Control transhipment of strategic goods")
    pool = []
    for i in range(size):
        year = 2020 + i % 8
        measures = [measure(rng.choice(("OP1", "OP2", "OP3a", "OP3b", "OP3c", "OP3d")),
                            rng.choice(texts), rng.choice(agencies), f"{year + 2}-12-31",
                            tuple(rng.sample(ALL, rng.randrange(1, 4))),
                            rng.choice(("planned", "in_progress", "done")),
                            rng.random() < 0.3)
                    for _ in range(rng.randrange(1, 4))]
        pool.append(normalize_content(content(f"National action plan, draft {i + 1}.",
                                              f"{year}-01-01", f"{year + 3}-12-31",
                                              *measures)))
    return pool


TITLES = ("National Action Plan on UNSCR 1540", "Strategic trade control plan",
          "Biosecurity and biosafety action plan", "Nuclear security plan",
          "Border and maritime enforcement plan", "Chemical security action plan",
          "Counter-proliferation financing plan", "Export control framework plan")
