"""Request and response models (pydantic): the OpenAPI schema at ``/openapi.json``.

Request bodies are built from the specification types of the engine
(:mod:`techhubs.spec`, :mod:`techhubs.methodology`): the method names, the
weight rule and the uncertainty range are the ones a methodology file obeys,
so the schema promises exactly what the server accepts.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from techhubs.methodology import AGGREGATION_METHODS, NORMALISATION_METHODS
from techhubs.spec import HalfWidth, Spec, Weight, WholeNumber

Format = Literal["json", "csv", "parquet"]
# Overrides a request may ask for: goalposts need bounds on every indicator, which only a
# methodology file can declare, so they are not an override.
OVERRIDE_NORMALISATIONS = tuple(m for m in NORMALISATION_METHODS if m != "goalposts")
Normalisation = Literal[OVERRIDE_NORMALISATIONS]  # type: ignore[valid-type]
Aggregation = Literal[AGGREGATION_METHODS]  # type: ignore[valid-type]


class ErrorBody(BaseModel):
    """Every 4xx answer: what is wrong, where, and how to fix it."""

    error: str = Field(description="error class, e.g. UnknownNameError, ValidationError")
    message: str
    key: str | None = Field(None, description="the offending parameter or field")
    hint: str | None = None


class IntervalRequest(Spec):
    model_config = ConfigDict(defer_build=False)  # FastAPI builds request models now

    runs: WholeNumber = Field(200, ge=10,
                              description="Monte Carlo runs (capped by the server limit)")
    weight_uncertainty: HalfWidth = Field(
        0.25, gt=0.0,
        description="each weight varies uniformly within +/- this share of its value "
        "(above 0: with no uncertainty there is no interval to compute)")
    seed: WholeNumber = Field(0, ge=0, le=2**32 - 1)


class RerankRequest(Spec):
    """A what-if ranking: other weights and/or methods, optionally with rank intervals."""

    model_config = ConfigDict(defer_build=False)  # FastAPI builds request models now

    edition: str | None = Field(None, max_length=100,
                                description="an edition or results name (GET /api/editions)")
    method: str | None = Field(None, max_length=100,
                               description="a method name (GET /api/methods)")
    weights: dict[str, Weight] = Field(
        default_factory=dict, max_length=1000,
        description="node code -> weight in [0, 1e12] (indicators or pillars)")
    normalisation: Normalisation | None = Field(
        None, description="override the normalisation method")
    aggregation: Aggregation | None = Field(None, description="override the aggregation method")
    pillars: bool = Field(False, description=(
        "also give each row's score on every top-level pillar (<code>__score)"))
    intervals: IntervalRequest | None = None


def rerank_request_model(max_runs: int) -> type[RerankRequest]:
    """The request model with this server's run limit in its schema."""

    limited = create_model(
        "IntervalRequest",
        __base__=IntervalRequest,
        runs=(WholeNumber, Field(min(200, max_runs), ge=min(10, max_runs), le=max_runs,
                         description=f"Monte Carlo runs, at most {max_runs} on this server")),
    )
    optional: Any = limited | None
    return create_model("RerankRequest", __base__=RerankRequest, intervals=(optional, None))


class Edition(BaseModel):
    name: str
    kind: Literal["edition", "results", "synthetic"]
    title: str
    default_method: str
    model_config = ConfigDict(extra="allow")


class EditionList(BaseModel):
    editions: list[Edition]


class MethodSummary(BaseModel):
    name: str
    title: str
    description: str
    applicable: bool | None = Field(
        None, description="with ?edition=: whether the method can rank that edition")
    reason: str | None = Field(None, description="why not, when it cannot")


class MethodList(BaseModel):
    methods: list[MethodSummary]


class NodeInfo(BaseModel):
    code: str
    name: str
    parent: str | None
    weight: float
    kind: Literal["indicator", "pillar", "index"]
    direction: int
    unit: str
    source: str
    aggregation: str | None


class MethodDetail(BaseModel):
    name: str
    title: str
    description: str
    nodes: list[NodeInfo]
    steps: dict[str, dict[str, Any]]
    applicable: bool | None = Field(None, description=(
        "with an edition: whether the method can rank it (null without one)"))
    reason: str | None = Field(None, description="why the method cannot rank the edition")


class RankingRow(BaseModel):
    rank: int | None
    unit_id: str
    name: str
    economies: list[str]
    score: float | None
    model_config = ConfigDict(extra="allow")


class Pillar(BaseModel):
    code: str
    name: str


class RankingResponse(BaseModel):
    edition: str
    method: str
    n_units: int = Field(description="units in the full ranking, before filters")
    indicators: list[str]
    weights: dict[str, float]
    pillars: list[Pillar] = Field(
        default_factory=list, description=(
            "the top-level pillars of the method's tree; each row has <code>__score"))
    notes: list[str] = Field(default_factory=list,
                             description="what the fit left out for want of data")
    provenance: dict[str, Any]
    rows: list[RankingRow]


class RerankRow(BaseModel):
    rank: int | None
    base_rank: int | None = Field(description="rank with the method's own weights")
    unit_id: str
    name: str
    economies: list[str]
    score: float | None
    latitude: float | None
    longitude: float | None
    median_rank: float | None = None
    rank_p05: float | None = None
    rank_p95: float | None = None
    p_top10: float | None = None
    model_config = ConfigDict(extra="allow")  # <pillar>__score, one per pillar


class IntervalInfo(BaseModel):
    runs: int
    weight_uncertainty: float
    seed: int


class RerankResponse(BaseModel):
    edition: str
    method: str
    normalisation: str
    aggregation: str
    weights: dict[str, float]
    n_units: int
    pillars: list[Pillar] = Field(
        default_factory=list, description=(
            "the top-level pillars of the method's tree; with pillars=true in the request "
            "each row has <code>__score"))
    intervals: IntervalInfo | None
    rows: list[RerankRow]


class Component(BaseModel):
    code: str
    name: str
    kind: str
    parent: str | None
    weight: float | None
    raw: float | None
    normalised: float | None
    contribution: float | None
    rank_on_item: int | None


class PublishedEntry(BaseModel):
    """One name as a published list gives it."""

    ranking: str
    year: int | None
    publisher: str
    title: str
    kind: str
    rank: int | None
    name_as_published: str
    note: str


class PublishedRank(PublishedEntry):
    match_confidence: float = Field(description="confidence that the name denotes this unit")
    match_explanation: str


class Fact(BaseModel):
    place: str
    fact: str
    value: str
    statement: str
    source: str = Field(description="the publication quoting the fact")
    status: str = Field(description="supported, contradicted or not checkable by the data")
    check: str = Field(description="why, in words")
    match_confidence: float


class UnitProfile(BaseModel):
    edition: str
    method: str
    unit_id: str
    name: str
    economies: list[str]
    rank: int
    score: float | None
    n_units: int
    latitude: float | None
    longitude: float | None
    population: float | None
    members: list[str]
    components: list[Component]
    strengths: list[str]
    weaknesses: list[str]
    above: dict[str, Any] | None
    notes: list[str]
    published_ranks: list[PublishedRank]
    facts: list[Fact]


class CompareRow(BaseModel):
    code: str
    name: str
    kind: str
    a_normalised: float | None
    b_normalised: float | None
    a_rank_on_item: int | None
    b_rank_on_item: int | None
    difference: float | None


class CompareResponse(BaseModel):
    edition: str
    method: str
    a: UnitProfile
    b: UnitProfile
    rows: list[CompareRow]


class Feature(BaseModel):
    type: Literal["Feature"]
    id: str | int | None = None
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    type: Literal["FeatureCollection"]
    features: list[Feature]
    model_config = ConfigDict(extra="allow")


class AssignmentResponse(BaseModel):
    edition: str
    total: int
    offset: int
    rows: list[dict[str, Any]]


class Status(BaseModel):
    version: str
    default_edition: str
    limits: dict[str, int]


# ------------------------------------------------------ published rankings
class PublishedList(BaseModel):
    ranking: str
    year: int | None
    publisher: str
    title: str
    ordered: bool = Field(description="ranked (true) or an unranked list (false)")
    n_names: int
    n_unresolved: int


class PublishedRow(PublishedEntry):
    hub_key: str = Field(description="the hub's identity across rankings (a unit id of the "
                         "edition, else gn:<GeoNames id>)")
    hub_name: str
    unit_id: str | None
    resolved: bool
    confidence: float = Field(description="confidence of the name resolution")
    method: str
    match_confidence: float
    line: int = Field(description="line of the bundled rankings file")


class PublishedRankings(BaseModel):
    edition: str = Field(description="edition whose units give hubs their identity")
    rankings: list[PublishedList]
    rows: list[PublishedRow]


class AgreementPair(BaseModel):
    ranking_a: str
    ranking_b: str
    n_a: int
    n_b: int
    n_common: int = Field(description="hubs in both lists")
    kendall_tau_b: float | None = Field(description="on the common hubs (null: undefined)")
    rbo: float | None = Field(description="RBO_ext on the whole lists")
    p: float
    common: list[str] = Field(description="hub keys in both lists")
    note: str | None


class AgreementList(BaseModel):
    ranking: str
    ordered: bool
    n_hubs: int


class AgreementResponse(BaseModel):
    p: float
    edition: str
    rankings: list[str]
    lists: list[AgreementList]
    pairs: list[AgreementPair]
    tau: dict[str, dict[str, float | None]] = Field(description="Kendall tau-b matrix")
    rbo: dict[str, dict[str, float | None]] = Field(description="RBO_ext matrix")
    common: dict[str, dict[str, int | None]] = Field(description="common-hub counts")
    unresolved: list[dict[str, Any]] = Field(description="names that resolved to no place")
    dropped: list[dict[str, Any]] = Field(description="rows not compared, with the reason")
    method: dict[str, str]


class ConsensusRow(BaseModel):
    position: int
    rank: int = Field(description="competition rank (ties share the best position)")
    item: str = Field(description="hub key")
    label: str
    score: float | None = Field(description=(
        "Borda points; Schulze: hubs beaten; Kemeny: lead over the next hub (lists "
        "preferring it to the hub below minus the reverse; null for the last)"))
    lists_containing: int = Field(description="lists that contain the hub")
    lists_at_or_above: int = Field(
        description="ranked lists placing the hub at or above this position")


class ConsensusResponse(BaseModel):
    method: Literal["borda", "schulze", "kemeny"]
    variant: Literal["exact", "approximation"] | None = Field(
        description="Kemeny-Young: exact (dynamic programming, up to 10 hubs) or the "
        "approximation (Borda start + best-insertion local search); null otherwise")
    description: str
    n_lists: int
    rankings: list[str]
    params: dict[str, Any]
    options: dict[str, str]
    edition: str
    score: str = Field(description="what the rows' score is, for a column header")
    rows: list[ConsensusRow]


class MoverRow(BaseModel):
    hub_key: str
    name: str
    rank_before: int | None
    rank_after: int | None
    change: int | None = Field(description="earlier rank - later rank (positive: moved up)")
    source: str = Field(description="where the earlier rank comes from")
    before: str
    after: str


class MoversResponse(BaseModel):
    edition: str
    pairs: list[list[str]]
    rows: list[MoverRow]


class ClaimRow(BaseModel):
    line: int = Field(description="line of the bundled facts file")
    place: str
    fact: str
    value: str
    statement: str
    source_title: str
    status: Literal["supported", "contradicted", "not checkable"]
    figures: str = Field(description="the figures the verdict rests on")
    data: str = Field(description="the data checked")
    explanation: str


class ClaimsResponse(BaseModel):
    edition: str
    ranking: str
    counts: dict[str, int]
    rows: list[ClaimRow]


class ResolvedPlace(BaseModel):
    geonameid: int
    name: str
    country_code: str
    admin1_code: str | None
    latitude: float
    longitude: float
    population: int | None


class ResolveResponse(BaseModel):
    name_as_given: str
    places: list[ResolvedPlace]
    economies: list[str]
    latitude: float | None
    longitude: float | None
    confidence: float
    explanation: str
    method: str = Field(description="alias, gazetteer, fuzzy, ... or unresolved")
    unresolved_parts: list[str]
    key: str
    resolved: bool
    edition: str
    unit_id: str | None = Field(description="the matched unit of the edition")
    unit_name: str | None
    match_confidence: float
    match_explanation: str
