"""Write scanner/data/world_names.txt: first names and surnames of many countries, from Faker's locale lists.

    python -m bench.world_names      # needs `pip install faker` (a build-time tool only, not a runtime dependency)

The US census lists (the `names` package) know few names from outside the US: "Wanjiru", "Nguyen" is there but
"Oluwaseun", "Kowalczyk" or "Sigurðardóttir" are not. Faker (MIT licence, joke2k/faker) curates first and last
names for ~60 Latin-script locales; we keep the Latin-script ones, upper-cased, and drop what the census already
has. Names are written per kind ("F NAME" / "L NAME") so the lexicon can tell a given name from a family name."""
from __future__ import annotations

import importlib
import pkgutil
import unicodedata
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "scanner" / "data" / "world_names.txt"


def _latin(word: str) -> bool:
    return bool(word) and all(unicodedata.name(c, "").startswith("LATIN") or c in "-'’" for c in word)


def collect() -> tuple[set[str], set[str], str]:
    import faker
    import faker.providers.person as person

    firsts: set[str] = set()
    lasts: set[str] = set()
    for mod_info in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"{person.__name__}.{mod_info.name}").Provider
        for attr in dir(provider):
            if attr.startswith("_") or not any(k in attr for k in ("first_name", "last_name")):
                continue
            values = getattr(provider, attr, None)
            if isinstance(values, dict):
                values = list(values)
            if not isinstance(values, (tuple, list)):
                continue  # a method or property, not a list
            words = {v.strip().upper() for v in values if isinstance(v, str) and " " not in v.strip()}
            (firsts if "first" in attr else lasts).update(w for w in words if _latin(w) and len(w) >= 2)
    return firsts, lasts, faker.VERSION


def _licence_lines() -> list[str]:
    """Faker's MIT notice, which must travel with any substantial portion of it."""
    from importlib.metadata import distribution

    dist = distribution("faker")
    notice = next((f for f in dist.files or () if "LICENSE" in f.name.upper()), None)
    text = notice.read_text() if notice else "MIT licence, Copyright (c) 2012 Daniele Faraglia"
    return ["# " + line if line else "#" for line in text.strip().splitlines()]


def main() -> None:
    from scanner.text.lexicon import census_names

    census_first, census_last = census_names()
    firsts, lasts, version = collect()
    lines = [f"# First names (F) and surnames (L) of many countries, from Faker {version} (MIT licence,",
             "# https://github.com/joke2k/faker) person providers, Latin script, minus the US census lists.",
             "# Written by bench/world_names.py; read by scanner/text/lexicon.py. Faker's licence:", "#"]
    lines += _licence_lines()
    lines += [f"F {w}" for w in sorted(firsts - set(census_first))]
    lines += [f"L {w}" for w in sorted(lasts - set(census_last))]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(firsts - set(census_first)) + len(lasts - set(census_last))} names written to {OUT}")


if __name__ == "__main__":
    main()
