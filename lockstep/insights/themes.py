"""Objection themes: what the sales channel keeps saying, grouped from free text.

The texts of one program — pulse comments, the questions reps ask, preview feedback and the
comments reps add when they reject a lead — are grouped into themes by `group_texts`
(scikit-learn: TF-IDF, then k-means with the number of themes chosen by the silhouette).
A background task (`insights.tasks.group_program_themes`) stores the result in a `ThemeRun`
row; pages read it with `program_themes(program)`, one query. docs/insights.md explains the
parameters and when the grouping runs.

Anonymity (PRODUCT.md: "anonymous means anonymous everywhere"): when a program's pulse is
anonymous, its pulse comments count towards a theme but are never attributed to a team, and
are quoted only when the pulse has at least five answers in all — the rule the pulse page
already applies to showing those comments."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, Subquery

from lockstep.feedback.models import MIN_GROUP, PulseResponse, RepQuestion
from lockstep.insights.models import ThemeRun
from lockstep.orgs.models import Membership
from lockstep.programs.models import PreviewFeedback, Program
from lockstep.results.models import Lead

ALGORITHM = "tfidf-lsa-kmeans-2"  # part of the fingerprint: a new algorithm regroups everything
SEED = 42
MIN_TEXTS = 8  # fewer texts than this: no themes (too little to group honestly)
MIN_THEME_SIZE = 2  # a "theme" of one text is an anecdote: it counts as unthemed
MAX_THEMES = 8
LSA_COMPONENTS = (5, 10, 20)  # latent dimensions tried (each capped by the data)
MAX_TEXTS = 3000  # the most recent texts of each source beyond this are enough
QUOTE_LENGTH = 240
TOP_TERMS = 5

SOURCES = {
    "pulse": "pulse comments",
    "question": "rep questions",
    "preview": "preview feedback",
    "rejection": "lead rejections",
}

# Words that say nothing about an objection, on top of scikit-learn's English stop words.
DOMAIN_STOP_WORDS = frozenset(
    "also really just like need needs think know make way use get got want does did don "
    "doesn isn ll ve re thing things lot yes ok okay please thanks thank hi hello would could "
    "should still much many one two us our we you it its program programme lockstep good "
    "great nice love customer ask say said come back want".split()
)
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Text:
    """One piece of free text to group."""

    source: str  # a key of SOURCES
    id: int
    body: str
    team_id: int | None  # None: no team, or an anonymous pulse
    quotable: bool


@dataclass(frozen=True)
class Theme:
    """One theme: a label from its top terms, a representative quote, how many texts fall
    in it (overall, per team id) and from which sources (source name → count)."""

    label: str
    top_terms: tuple[str, ...]
    quote: str
    count: int
    counts_by_team: dict[int, int] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    team_names: dict[int, str] = field(default_factory=dict)

    @property
    def by_team(self) -> list[tuple[str, int]]:
        """(team name, count), most first."""
        pairs = [(self.team_names.get(t, "?"), n) for t, n in self.counts_by_team.items()]
        return sorted(pairs, key=lambda p: (-p[1], p[0]))

    @property
    def top_teams(self) -> list[tuple[str, int]]:
        return self.by_team[:4]

    @property
    def more_teams(self) -> int:
        return max(0, len(self.counts_by_team) - 4)

    @property
    def source_labels(self) -> list[tuple[str, int]]:
        return [(SOURCES.get(s, s), n) for s, n in sorted(self.sources.items())]


# --- collecting the texts -------------------------------------------------------------------


def _team_of(field_name: str, program: Program) -> Subquery:
    members = Membership.objects.filter(org_id=program.org_id, user_id=OuterRef(field_name))
    return Subquery(members.values("team_id")[:1])


def collect_texts(program: Program) -> list[Text]:
    """The program's free text, oldest first within each source (four queries)."""
    anonymous = program.pulse_anonymous
    texts: list[Text] = []
    pulses = PulseResponse.objects.filter(program=program)
    quote_anonymous = not anonymous or pulses.count() >= MIN_GROUP
    rows: Any = pulses.exclude(comment="").order_by("-id").values_list("id", "comment", "team_id")
    for pk, body, team_id in reversed(rows[:MAX_TEXTS]):
        team = None if anonymous else team_id
        texts.append(Text("pulse", pk, body, team, quote_anonymous))
    rows = (
        RepQuestion.objects.filter(program=program)
        .annotate(team=_team_of("asked_by_id", program))
        .order_by("-id")
        .values_list("id", "body", "team")
    )
    texts += [Text("question", pk, b, t, True) for pk, b, t in reversed(rows[:MAX_TEXTS])]
    rows = (
        PreviewFeedback.objects.filter(program=program)
        .annotate(team=_team_of("author_id", program))
        .order_by("-id")
        .values_list("id", "body", "team")
    )
    texts += [Text("preview", pk, b, t, True) for pk, b, t in reversed(rows[:MAX_TEXTS])]
    rows = (
        Lead.objects.filter(program=program)
        .exclude(rejection_comment="")
        .annotate(team=_team_of("rep_id", program))
        .order_by("-id")
        .values_list("id", "rejection_comment", "team")
    )
    texts += [Text("rejection", pk, b, t, True) for pk, b, t in reversed(rows[:MAX_TEXTS])]
    return [t for t in texts if t.body.strip()]


def fingerprint(texts: list[Text]) -> str:
    digest = hashlib.sha256(ALGORITHM.encode())
    for text in texts:
        line = f"{text.source}:{text.id}:{text.team_id}:{int(text.quotable)}:{text.body}\n"
        digest.update(line.encode())
    return digest.hexdigest()


# --- grouping -----------------------------------------------------------------------------


def _normalise(word: str) -> str:
    """A light plural folding, so "prices" and "price" are one term (no stemmer needed)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokenizer(stop_words: frozenset[str]) -> Any:
    def tokens(text: str) -> list[str]:
        words = (_normalise(w) for w in _WORD.findall(text.lower()))
        return [w for w in words if w not in stop_words]

    return tokens


def stop_words_for(program_name: str = "") -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    own = {_normalise(w) for w in _WORD.findall(program_name.lower())}
    base = set(ENGLISH_STOP_WORDS) | DOMAIN_STOP_WORDS
    return frozenset(base | {_normalise(w) for w in base} | own)


@dataclass(frozen=True)
class Grouping:
    themes: list[dict[str, Any]]
    unthemed: int


def _label_terms(ranked: list[str]) -> list[str]:
    """The top terms for a label: a word already inside a chosen phrase is skipped."""
    chosen: list[str] = []
    for term in ranked:
        words = set(term.split())
        if any(words <= set(c.split()) or set(c.split()) <= words for c in chosen):
            continue
        chosen.append(term)
        if len(chosen) == 3:
            break
    return chosen


def _quote(body: str) -> str:
    body = " ".join(body.split())
    return body if len(body) <= QUOTE_LENGTH else body[: QUOTE_LENGTH - 1].rstrip() + "…"


def _best_k(matrix: Any, n: int, weights: Any) -> Any:
    """k-means on the texts' latent semantic vectors (TF-IDF reduced by a truncated SVD and
    normalised, so texts sharing no word but used alike can meet), for several numbers of
    latent dimensions and every number of themes from 2 up; the best grouping is the one
    most coherent in the TF-IDF space itself (cosine silhouette). Returns the labels."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.decomposition import TruncatedSVD
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import Normalizer

    spaces: list[tuple[int, Any]] = []
    for wanted in LSA_COMPONENTS:
        components = min(wanted, matrix.shape[1] - 1, n - 1)
        if components >= 2 and components not in [c for c, _ in spaces]:
            svd = TruncatedSVD(n_components=components, random_state=SEED)
            spaces.append((components, Normalizer().fit_transform(svd.fit_transform(matrix))))
    if not spaces:
        spaces.append((0, matrix))
    best: tuple[float, Any] | None = None
    for _, latent in spaces:
        for k in range(2, min(MAX_THEMES, max(2, n // 2), n - 1) + 1):
            model = KMeans(n_clusters=k, random_state=SEED, n_init=10)
            labels = model.fit_predict(latent, sample_weight=weights)
            if len(set(labels.tolist())) < 2:
                continue
            score = float(
                silhouette_score(matrix, labels, metric="cosine", sample_size=2000,
                                 random_state=SEED)
            )  # fmt: skip
            if best is None or score > best[0] + 1e-9:
                best = (score, labels)
    return best[1] if best is not None else np.zeros(n, dtype=int)


def group_texts(texts: list[Text], program_name: str = "") -> Grouping:
    """Group texts into themes; deterministic for the same texts in the same order."""
    if len(texts) < MIN_TEXTS:
        return Grouping([], len(texts))
    from threadpoolctl import threadpool_limits

    # One thread: on inputs this small, BLAS threads cost fifty times what they save.
    with threadpool_limits(limits=1):
        return _group(texts, program_name)


def _group(texts: list[Text], program_name: str) -> Grouping:
    """Identical texts (the same comment given by many reps) are grouped once, weighted by
    how often they were written: fifty copies of one sentence make one large theme, not
    fifty tiny perfect clusters that would fool the silhouette."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    copies: dict[str, list[int]] = {}
    for index, text in enumerate(texts):
        copies.setdefault(" ".join(text.body.lower().split()), []).append(index)
    uniques = list(copies.values())  # first-seen order: deterministic
    vectorizer = TfidfVectorizer(
        tokenizer=tokenizer(stop_words_for(program_name)),
        token_pattern=None,
        lowercase=False,
        ngram_range=(1, 1),
        sublinear_tf=True,
        min_df=1,
    )
    try:
        matrix = vectorizer.fit_transform([texts[group[0]].body for group in uniques])
    except ValueError:  # nothing but stop words
        return Grouping([], len(texts))
    keep = np.flatnonzero(matrix.getnnz(axis=1))  # texts with at least one meaningful word
    uniques = [uniques[i] for i in keep]
    if sum(len(group) for group in uniques) < MIN_TEXTS:
        return Grouping([], len(texts))
    matrix = matrix[keep]
    weights = np.array([len(group) for group in uniques], dtype=float)
    labels = _labels(matrix, weights)
    display = _acronyms([texts[group[0]].body for group in uniques])
    terms = vectorizer.get_feature_names_out()
    themes: list[dict[str, Any]] = []
    for cluster in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == cluster)
        size = int(weights[members].sum())
        if size < MIN_THEME_SIZE:
            continue
        rows = matrix[members].toarray()
        member_weights = weights[members]
        centroid = (rows * member_weights[:, None]).sum(axis=0) / size
        # A theme is named by the words most of its texts use (share of its texts, then
        # weight), and quoted by the text that uses most of those words (then the most
        # written): the label and the quote say the same thing.
        coverage = ((rows > 0) * member_weights[:, None]).sum(axis=0) / size
        ranking = np.lexsort((-centroid, -np.round(coverage, 6)))
        ranked = [str(terms[i]) for i in ranking[: TOP_TERMS * 3] if coverage[i] > 0]
        top = _label_terms(ranked)
        top_index = [int(np.flatnonzero(terms == t)[0]) for t in top]
        uses = (rows[:, top_index] > 0).sum(axis=1)
        order = members[np.lexsort((-(rows @ centroid), -member_weights, -uses))]
        quote_text = next((texts[i] for u in order for i in uniques[u] if texts[i].quotable), None)
        everyone = [texts[i] for u in members for i in uniques[u]]
        by_team: dict[str, int] = {}
        sources: dict[str, int] = {}
        for text in everyone:
            sources[text.source] = sources.get(text.source, 0) + 1
            if text.team_id is not None:
                by_team[str(text.team_id)] = by_team.get(str(text.team_id), 0) + 1
        label = " · ".join(display.get(term, term) for term in top)
        themes.append(
            {
                "label": label[:1].upper() + label[1:],
                "top_terms": ranked[:TOP_TERMS],
                "quote": _quote(quote_text.body) if quote_text else "",
                "quote_team": quote_text.team_id if quote_text else None,
                "count": size,
                "counts_by_team": by_team,
                "sources": sources,
                "members": sorted([t.source, t.id] for t in everyone),
            }
        )
    themes.sort(key=lambda t: (-t["count"], t["label"]))
    grouped = sum(t["count"] for t in themes)
    return Grouping(themes, len(texts) - grouped)


def _acronyms(bodies: list[str]) -> dict[str, str]:
    """Terms people write in capitals (SAP, EUR, CSV) keep them in labels."""
    forms: dict[str, dict[str, int]] = {}
    for body in bodies:
        for word in _WORD.findall(body):
            counts = forms.setdefault(_normalise(word.lower()), {})
            counts[word] = counts.get(word, 0) + 1
    display = {}
    for term, counts in forms.items():
        form = max(counts, key=lambda f: (counts[f], f))
        if form.isupper() and len(form) > 1:
            display[term] = form
    return display


def _labels(matrix: Any, weights: Any) -> Any:
    """A theme number per distinct text: k-means (`_best_k`) when there are enough distinct
    texts to choose a number of themes, each its own theme when there are one or two."""
    import numpy as np

    n = matrix.shape[0]
    if n <= 2:
        return np.arange(n)
    return _best_k(matrix, n, weights)


# --- reading the stored themes -------------------------------------------------------------


def _theme(raw: dict[str, Any], names: dict[int, str], scope: set[int] | None) -> Theme | None:
    counts = {int(t): int(n) for t, n in raw.get("counts_by_team", {}).items()}
    count = int(raw["count"])
    quote = raw.get("quote", "")
    if scope is not None:
        counts = {t: n for t, n in counts.items() if t in scope}
        count = sum(counts.values())
        if raw.get("quote_team") not in scope:
            quote = ""
        if not count:
            return None
    return Theme(
        label=raw["label"],
        top_terms=tuple(raw.get("top_terms", [])),
        quote=quote,
        count=count,
        counts_by_team=counts,
        sources=dict(raw.get("sources", {})) if scope is None else {},
        team_names={t: names.get(t, "?") for t in counts},
    )


def read_themes(run: ThemeRun | None, only_team_ids: set[int] | None = None) -> list[Theme]:
    """Themes of a stored run; for a member who sees some teams only (a sales leader),
    only what their teams' people wrote: counts of those teams, a quote only from them."""
    if run is None:
        return []
    names = {int(t): n for t, n in run.team_names.items()}
    themes = [_theme(raw, names, only_team_ids) for raw in run.themes]
    found = [t for t in themes if t is not None]
    return sorted(found, key=lambda t: (-t.count, t.label))


def program_themes(program: Program, only_team_ids: set[int] | None = None) -> list[Theme]:
    """The program's stored themes, largest first ([] until the grouping has run, or when
    there is too little text). One query."""
    return read_themes(ThemeRun.objects.filter(program=program).first(), only_team_ids)


def themes_context(program: Program, only_team_ids: set[int] | None = None) -> dict[str, Any]:
    """What `insights/_themes.html` shows: the themes and the state of the last run (one
    query)."""
    run = ThemeRun.objects.filter(program=program).first()
    return {
        "themes": read_themes(run, only_team_ids),
        "themes_run": run,
        "themes_min": MIN_TEXTS,
        "themes_program": program,
    }
