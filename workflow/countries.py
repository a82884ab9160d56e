"""Country codes: upper-case ISO 3166-1 alpha-3, checked against pycountry's ISO list."""

import pycountry


def is_iso3(code: object) -> bool:
    return (isinstance(code, str) and len(code) == 3 and code.isupper()
            and pycountry.countries.get(alpha_3=code) is not None)


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_3=code)
    return country.name if country else code
