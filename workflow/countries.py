"""Country codes: upper-case ISO 3166-1 alpha-3, checked against pycountry's ISO list."""

import pycountry

# Sorted, so the OpenAPI document lists them in a stable order.
ISO3_CODES = tuple(sorted(country.alpha_3 for country in pycountry.countries))
_ISO3 = frozenset(ISO3_CODES)


def is_iso3(code: object) -> bool:
    return isinstance(code, str) and code in _ISO3


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_3=code)
    return country.name if country else code
