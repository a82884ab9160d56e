"""What `napflow demo` loads: ASEAN countries, a cast of users, plans and how each got where it is.

A plan's `steps` are carried out through the real workflow operations, so its audit chain is
real. A step is (actor, operation, arguments); actors are named by their role's suffix
(`drafter`, `customs`...) and belong to the plan's country, except the country-less
`committee`.
"""

from typing import Any

ASEAN = ("BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM")
# Countries with a full national cast: two reviewing agencies, an approver, a mission...
FULL_CAST = ("THA", "VNM")
NATIONAL_ROLES = {
    "drafter": "drafter", "customs": "reviewer", "health": "reviewer", "approver": "approver",
    "submitter": "submitter", "viewer": "viewer", "auditor": "auditor",
}
GLOBAL_USERS = {"committee": "committee", "auditor": "auditor", "admin": "admin"}


def demo_users() -> list[tuple[str, list[str]]]:
    """(username, grants) of every demo user."""
    cast = []
    for country in FULL_CAST:
        prefix = country.lower()
        cast += [(f"{prefix}-{name}", [f"{role}:{country}"])
                 for name, role in NATIONAL_ROLES.items()]
    cast += [(name, [role]) for name, role in GLOBAL_USERS.items()]
    cast += [(f"{c.lower()}-drafter", [f"drafter:{c}"]) for c in ASEAN if c not in FULL_CAST]
    return cast


def measure(obligation: str, description: str, lead_agency: str, due: str | None = None,
            domains: tuple[str, ...] = (), status: str = "planned",
            assistance_needed: bool = False) -> dict[str, Any]:
    found = {"obligation": obligation, "description": description, "lead_agency": lead_agency,
             "domains": list(domains), "status": status, "assistance_needed": assistance_needed}
    if due:
        found["due"] = due
    return found


def content(summary: str, start: str, end: str, *measures: dict[str, Any]) -> dict[str, Any]:
    return {"summary": summary, "period": {"start": start, "end": end},
            "measures": list(measures)}


ALL = ("nuclear", "chemical", "biological", "delivery")

# How a plan travels, step by step.
TO_REVIEW = [("drafter", "assign", {"username": "customs"}),
             ("drafter", "assign", {"username": "health"}),
             ("drafter", "submit_for_review", {})]
TO_NATIONAL = TO_REVIEW + [("customs", "review", {"decision": "approve"}),
                           ("health", "review", {"decision": "approve",
                                                 "comment": "No objection from the ministry."}),
                           ("drafter", "endorse", {})]
TO_APPROVED = TO_NATIONAL + [("approver", "approve", {"comment": "Approved by the Cabinet."})]


def to_submitted(reference: str) -> list[tuple[str, str, dict[str, Any]]]:
    return TO_APPROVED + [("submitter", "submit_to_committee",
                           {"data": {"reference": reference, "publication_consent": True}})]


def to_acknowledged(reference: str) -> list[tuple[str, str, dict[str, Any]]]:
    return to_submitted(reference) + [("committee", "acknowledge", {})]


THA_EXPORT = measure("OP3d", "Issue implementing regulations and the national control list "
                     "under the Trade Controls on Weapons of Mass Destruction Related Items Act",
                     "Department of Foreign Trade, Ministry of Commerce", "2026-12-31", ALL,
                     status="in_progress")
THA_PORTS = measure("OP3c", "Deploy radiation portal monitors at Laem Chabang port and the "
                    "Suvarnabhumi air cargo terminals", "Customs Department", "2027-06-30",
                    ("nuclear",), assistance_needed=True)
THA_REACTOR = measure("OP3b", "Upgrade physical protection of the TRR-1/M1 research reactor "
                      "to INFCIRC/225/Rev.5", "Office of Atoms for Peace", "2027-12-31",
                      ("nuclear",))
THA_LABS = measure("OP3b", "License and inspect BSL-3 laboratories under the Pathogens and "
                   "Animal Toxins Act", "Department of Medical Sciences, Ministry of Public Health",
                   "2027-03-31", ("biological",))
THA_CHEM = measure("OP3a", "Keep a national inventory of Schedule 1 and 2 chemicals held by "
                   "industry", "Department of Industrial Works", "2027-09-30", ("chemical",))
THA_FINANCE = measure("OP2", "Criminalise proliferation financing and brokering in the "
                      "Anti-Money Laundering Act", "Anti-Money Laundering Office", "2026-09-30",
                      ALL)

VNM_EXPORT = measure("OP3d", "Adopt a decree on export control of dual-use goods with "
                     "end-user certificates", "Ministry of Industry and Trade", "2026-10-31",
                     ALL, status="in_progress")
VNM_BORDER = measure("OP3c", "Train border guard and customs officers at Lao Cai and Mong Cai "
                     "on identifying dual-use commodities", "General Department of Vietnam Customs",
                     "2027-04-30", ALL, assistance_needed=True)
VNM_NUCLEAR = measure("OP3a", "Account for and control nuclear material under the Law on "
                      "Atomic Energy", "Vietnam Agency for Radiation and Nuclear Safety",
                      "2026-12-31", ("nuclear",), status="done")
VNM_BIO = measure("OP3b", "Certify laboratories handling risk group 3 and 4 pathogens",
                  "Ministry of Health", "2027-06-30", ("biological",))
VNM_PENAL = measure("OP2", "Amend the Penal Code to criminalise proliferation financing",
                    "Ministry of Public Security", "2027-12-31", ALL)
VNM_CWC = measure("OP1", "Report to the 1540 Committee through the national CWC authority "
                  "on non-support to non-State actors", "Ministry of Foreign Affairs",
                  "2026-06-30", ("chemical",), status="done")

PLANS: list[dict[str, Any]] = [
    {"country": "THA", "title": "National Action Plan on UNSCR 1540, 2024-2026",
     "content": content("Thailand's first national action plan.", "2024-01-01", "2026-12-31",
                        {**THA_EXPORT, "status": "done"}, THA_FINANCE),
     "steps": to_acknowledged("NV/THA/2024/0412")},
    {"country": "THA", "title": "Strategic trade control plan 2026-2028",
     "content": content("Complete the strategic trade control system.", "2026-01-01",
                        "2028-12-31", THA_EXPORT, THA_PORTS),
     "steps": to_submitted("NV/THA/2026/0107")},
    {"country": "THA", "title": "Biosecurity and biosafety action plan 2026-2027",
     "content": content("Close gaps in biological security.", "2026-01-01", "2027-12-31",
                        THA_LABS), "steps": TO_APPROVED},
    {"country": "THA", "title": "Nuclear security and material accounting plan",
     "content": content("Nuclear security measures for 2026-2028.", "2026-01-01",
                        "2028-12-31", THA_REACTOR, THA_PORTS), "steps": TO_NATIONAL},
    {"country": "THA", "title": "Border and maritime enforcement plan 2026-2028",
     "content": content("Enforcement at land borders and sea ports.", "2026-01-01",
                        "2028-12-31", THA_PORTS),
     "steps": TO_REVIEW + [("customs", "review", {"decision": "approve"})]},
    {"country": "THA", "title": "Chemical security action plan 2027-2029",
     "content": content("Chemical security.", "2027-01-01", "2029-12-31", THA_CHEM),
     "steps": TO_REVIEW + [
         ("health", "review", {"decision": "request_changes",
                               "comment": "Cover toxic chemicals in hospitals too."}),
         ("health", "request_changes", {"comment": "See the ministry's review."}),
         ("drafter", "edit", {"content": content(
             "Chemical security, including hospital stocks.", "2027-01-01", "2029-12-31",
             THA_CHEM, measure("OP3b", "Secure toxic chemical stocks in public hospitals",
                               "Ministry of Public Health", "2028-06-30", ("chemical",))
         )})]},
    {"country": "THA", "title": "Interim export licensing measures",
     "content": content("Stop-gap licensing until the new act applies.", "2025-01-01",
                        "2025-12-31", THA_EXPORT),
     "steps": [("drafter", "withdraw", {"comment": "Superseded by the strategic trade control "
                                                   "plan 2026-2028."})]},
    {"country": "VNM", "title": "National Action Plan on UNSCR 1540, 2025-2027",
     "content": content("Viet Nam's national action plan.", "2025-01-01", "2027-12-31",
                        VNM_NUCLEAR, VNM_CWC, VNM_EXPORT),
     "steps": to_acknowledged("NV/VNM/2025/0233") + [
         ("drafter", "revise", {}),
         ("drafter", "edit", {"content": content(
             "Viet Nam's national action plan, second revision.", "2025-01-01", "2027-12-31",
             VNM_NUCLEAR, VNM_CWC, VNM_EXPORT, VNM_PENAL)})]},
    {"country": "VNM", "title": "Dual-use goods and border control plan 2026-2028",
     "content": content("Dual-use trade and border enforcement.", "2026-01-01", "2028-12-31",
                        VNM_BORDER, VNM_BIO), "steps": TO_REVIEW},
    {"country": "MYS", "title": "Strategic Trade Act enforcement plan",
     "content": content("Enforcement of the Strategic Trade Act 2010.", "2026-01-01",
                        "2027-12-31", measure(
                            "OP3d", "Extend catch-all controls to brokering and transit",
                            "Strategic Trade Secretariat, Ministry of Investment, Trade and "
                            "Industry", "2026-12-31", ALL))},
    {"country": "SGP", "title": "Counter-proliferation plan 2026-2027",
     "content": content("Transhipment controls.", "2026-01-01", "2027-12-31", measure(
         "OP3c", "Risk-target transhipment containers for strategic goods",
         "Singapore Customs", "2026-12-31", ALL))},
    {"country": "PHL", "title": "Strategic trade management plan",
     "content": content("Implementing the Strategic Trade Management Act.", "2026-01-01",
                        "2028-12-31", measure(
                            "OP3d", "Publish the National Strategic Goods List update",
                            "Strategic Trade Management Office, Department of Trade and "
                            "Industry", "2026-08-31", ALL))},
    {"country": "IDN", "title": "Nuclear and radiological security plan",
     "content": content("Radioactive source security.", "2026-01-01", "2027-12-31", measure(
         "OP3a", "Register every high-activity sealed radioactive source",
         "Nuclear Energy Regulatory Agency (BAPETEN)", "2027-06-30", ("nuclear",)))},
    {"country": "BRN", "title": "First national action plan on UNSCR 1540",
     "content": content("First plan.", "2026-01-01", "2028-12-31", measure(
         "OP2", "Draft a law prohibiting non-State actors' WMD activities",
         "Attorney General's Chambers", "2027-12-31", ALL, assistance_needed=True))},
    {"country": "KHM", "title": "CBRN security plan",
     "content": content("CBRN security.", "2026-01-01", "2028-12-31", measure(
         "OP3c", "Equip the main border crossings with chemical detectors",
         "General Department of Customs and Excise", "2028-06-30", ("chemical",),
         assistance_needed=True))},
    {"country": "LAO", "title": "National action plan on UNSCR 1540",
     "content": content("First plan.", "2026-01-01", "2028-12-31", measure(
         "OP1", "Designate a national 1540 point of contact and working group",
         "Ministry of Foreign Affairs", "2026-03-31", ALL))},
    {"country": "MMR", "title": "Export control framework plan",
     "content": content("Export controls.", "2026-01-01", "2028-12-31", measure(
         "OP3d", "Prepare an export control law for dual-use goods",
         "Ministry of Commerce", "2028-12-31", ALL, assistance_needed=True))},
]
