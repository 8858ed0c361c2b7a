"""Brand names: the lexicon the eraser matches read text against, and the matching.

The lexicon (`default_lexicon`) holds

* every brand name of the simple-icons collection (titles and aliases of its icons, CC0),
  vendored as ``logo_eraser/data/simple_icons_names.txt`` by ``tools/simple_icons_names.py``,
  less a short list of everyday English words (`COMMON_WORDS`: "Target", "Fresh", "Here"...,
  which a street sign says more often than a brand) and of one- and two-character names that
  are not capitals ("Go", "uv"); a user who wants them adds them with --brands-file;
* the FlickrLogos-47 brands (`FLICKRLOGOS_BRANDS`);
* a user's own names (`read_brands_file`: one name a line, ``#`` comments), added with
  `BrandLexicon.add`.

Matching (`BrandLexicon.find`) works on words: a text is cut into tokens (runs of letters and
digits; accents removed, case folded: "Škoda" -> "skoda", "McDonald's" -> "mcdonald" "s"), and
a run of consecutive whole tokens matches a name when their letters, joined, equal the name's
joined tokens ("Coca-Cola", "Coca Cola" and "COCACOLA" all read "cocacola"). So only whole words
match: "Oxford" is not "Ford", "Pepsico" is not "Pepsi". Names of ``FUZZY_MIN_LENGTH`` letters
or more also match with one letter misread, added or dropped (Levenshtein distance 1:
"PEPS1CO"... "Heineken" read "Heinaken"). Matches do not overlap: longer ones, then exact
ones, win.
"""

import dataclasses
import os
import re
import unicodedata

from .paths import PACKAGE_DIR

SIMPLE_ICONS_NAMES = os.path.join(PACKAGE_DIR, "data", "simple_icons_names.txt")
# Names of at least this many letters (joined tokens) tolerate one misread letter.
FUZZY_MIN_LENGTH = 5
# The longest run of tokens looked at for one name ("Deutsche Telekom AG": 3).
MAX_NAME_TOKENS = 6
# Where each name comes from (JSON "source").
SOURCE_SIMPLE_ICONS = "simple-icons"
SOURCE_FLICKRLOGOS = "FlickrLogos-47"
SOURCE_USER = "brands-file"

# The FlickrLogos-47 brands (its classes without _symbol/_text), as they are written.
FLICKRLOGOS_BRANDS = (
    "HP", "adidas", "ALDI", "Apple", "Beck's", "BMW", "Carlsberg", "Chimay", "Coca-Cola",
    "Corona", "DHL", "Erdinger", "Esso", "FedEx", "Ferrari", "Ford", "Foster's", "Google",
    "Guinness", "Heineken", "Milka", "NVIDIA", "Paulaner", "Pepsi", "Ritter Sport", "Shell",
    "Singha", "Starbucks", "Stella Artois", "Texaco", "Tsingtao", "UPS",
)

# simple-icons names that are everyday English words, left out of the default lexicon: on
# signs, posters and shirts they are far more often the word than the brand.
COMMON_WORDS = frozenset("""
    about access action air alchemy answer arc arm await bamboo bat beats bit black bob boost
    boots box brave breaker bricks buddy buffer bun canvas chase chef circle coder comma
    crystal dash delta drone eagle effect eight element eraser express falcon fig files first
    flat flood flower flux fresh ghost gin glance glass glide grab harbor hearth here hive honey
    honor hyper indeed just keeper kick kit known lens less line lit local loop loops magic
    mailbox make matrix max medium mini mix monster moo nano nebula note now orange origin org
    outline oxygen penny photon picnic plane planet poetry powers quest radar railway ram rapid
    ray reason red refine reflex relay render rich ring ripple rocket root roots ruby safari
    sage saturn scan session shadow sharp signal sketch skip sky slides smart socket solid spine
    spring square steam stellar sunrise swarm swift target task teal things threads tide tile
    toll tower turbo twenty unity vault wine wire wise wish woo zoom
""".split())

_TOKEN = re.compile(r"[^\W_]+")


def fold(text):
    """``text`` without accents (NFKD, combining marks dropped) and case-folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens(text):
    """The words of ``text``: [(folded token, start, end)], start/end character offsets into
    ``text`` (end exclusive); a token is a run of letters and digits."""
    return [(fold(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def name_key(name):
    """What a name matches on: its folded tokens joined ("Coca-Cola" -> "cocacola")."""
    return "".join(token for token, _, _ in tokens(name))


def within_one_edit(a, b):
    """True when strings ``a`` and ``b`` differ by at most one substitution, insertion or
    deletion (Levenshtein distance <= 1)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    prefix = 0
    while prefix < len(a) and a[prefix] == b[prefix]:
        prefix += 1
    if len(a) == len(b):
        return a[prefix + 1:] == b[prefix + 1:]
    return a[prefix:] == b[prefix + 1:]


def _deletions(key):
    return {key[:i] + key[i + 1:] for i in range(len(key))}


@dataclasses.dataclass
class Match:
    """A brand name found in a text: characters [start, end) of the text (whole words), the
    words read there, the lexicon's name and its source, and whether it matched exactly
    (``edits`` 0) or with one misread letter (1)."""
    start: int
    end: int
    text: str
    name: str
    source: str
    edits: int


class BrandLexicon:
    """Brand names and where each came from; `find` matches a text against them.

    ``names``: {key (name_key): (name as written, source)}; the first source given a key keeps
    it, except that SOURCE_USER names override (a --brands-file name is reported as such).
    """

    def __init__(self):
        self.names = {}
        self._fuzzy = {}  # deletion variant or key -> set of keys (FUZZY_MIN_LENGTH and more)

    def __len__(self):
        return len(self.names)

    def __contains__(self, name):
        return name_key(name) in self.names

    def add(self, names, source):
        """Add ``names`` (strings) from ``source``; names with no letter or digit are skipped.
        Returns self."""
        for name in names:
            key = name_key(name)
            if not key:
                continue
            if key in self.names and source != SOURCE_USER:
                continue
            self.names[key] = (name.strip(), source)
            if len(key) >= FUZZY_MIN_LENGTH:
                for variant in _deletions(key) | {key}:
                    self._fuzzy.setdefault(variant, set()).add(key)
        return self

    def lookup(self, key):
        """(key of the name ``key`` matches, edits 0 or 1), or None. ``key``: joined tokens."""
        if key in self.names:
            return key, 0
        if len(key) < FUZZY_MIN_LENGTH - 1:
            return None
        candidates = set()
        for variant in _deletions(key) | {key}:
            candidates |= self._fuzzy.get(variant, set())
        close = sorted(k for k in candidates if within_one_edit(key, k))
        return (close[0], 1) if close else None

    def find(self, text):
        """The brand names in ``text`` (a line read in a photo): `Match` list, in reading
        order, not overlapping (longer runs of tokens first, then exact matches)."""
        words = tokens(text)
        found = []
        for first in range(len(words)):
            joined = ""
            for last in range(first, min(len(words), first + MAX_NAME_TOKENS)):
                joined += words[last][0]
                hit = self.lookup(joined)
                if hit is not None:
                    found.append((first, last, hit))
        found.sort(key=lambda f: (-(f[1] - f[0]), f[2][1], -len(f[2][0]), f[0]))
        taken, matches = set(), []
        for first, last, (key, edits) in found:
            if taken.intersection(range(first, last + 1)):
                continue
            taken.update(range(first, last + 1))
            name, source = self.names[key]
            start, end = words[first][1], words[last][2]
            matches.append(Match(start, end, text[start:end], name, source, edits))
        return sorted(matches, key=lambda m: m.start)


def simple_icons_names(path=SIMPLE_ICONS_NAMES):
    """The vendored simple-icons names usable as brands: the file's names less COMMON_WORDS
    and less names of one or two characters that are not all capitals or digits ("Go", "uv";
    "HP", "3M" stay)."""
    names = []
    with open(path, encoding="utf-8") as file:
        for line in file:
            name = line.strip()
            if not name or name.startswith("#"):
                continue
            key = name_key(name)
            if key in COMMON_WORDS or len(key) < 2:
                continue
            if len(key) == 2 and not re.fullmatch(r"[A-Z0-9]{2}", name):
                continue
            names.append(name)
    return names


def default_lexicon():
    """A new BrandLexicon with the simple-icons and FlickrLogos-47 names."""
    return (BrandLexicon().add(FLICKRLOGOS_BRANDS, SOURCE_FLICKRLOGOS)
            .add(simple_icons_names(), SOURCE_SIMPLE_ICONS))


class BrandsFileError(ValueError):
    """A --brands-file that cannot be read or holds no name (the message names the file)."""


def read_brands_file(path):
    """The names in a user's brands file: one name a line, UTF-8, blank lines and lines
    starting with ``#`` ignored. Raises BrandsFileError (one line) when it cannot be read or
    holds no name."""
    try:
        with open(path, encoding="utf-8-sig") as file:
            lines = file.read().splitlines()
    except FileNotFoundError:
        raise BrandsFileError(f"--brands-file {path}: no such file") from None
    except IsADirectoryError:
        raise BrandsFileError(f"--brands-file {path} is a folder; give a text file") from None
    except UnicodeDecodeError:
        raise BrandsFileError(f"--brands-file {path}: not UTF-8 text") from None
    except OSError as error:
        raise BrandsFileError(f"--brands-file {path}: {error.strerror or error}") from None
    names = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not any(name_key(name) for name in names):
        raise BrandsFileError(f"--brands-file {path}: no names (one brand name a line)")
    return names
