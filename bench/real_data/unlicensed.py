"""Write bench/real_data/.gitignore: the images whose source states no licence stay out of the repository.

    python bench/real_data/unlicensed.py     # after adding or changing a set's sources.json
"""
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def unlicensed(licence) -> bool:
    """No licence, 'none …', or NOASSERTION (GitHub's word for a repository with no recognisable licence)."""
    text = (licence or "").strip().lower()
    return not text or text.startswith("none") or "noassertion" in text


def main() -> None:
    lines = ["# Images whose source grants no licence: kept where they were annotated, never in the repository",
             "# (README.md here). Written by unlicensed.py from each set's sources.json."]
    for src in sorted(HERE.glob("*/sources.json")):
        lines += [f"/{src.parent.name}/{r['file']}" for r in json.loads(src.read_text()) if unlicensed(r.get("license"))]
    (HERE / ".gitignore").write_text("\n".join(lines) + "\n")
    print(f"{len(lines) - 2} unlicensed images listed in {HERE / '.gitignore'}")


if __name__ == "__main__":
    main()
