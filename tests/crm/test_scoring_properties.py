"""Properties of the score calculation, on random rules and activities."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from crm import scoring

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
KINDS = ["form_submit", "page_view", "download", "webinar"]

rules_strategy = st.lists(
    st.builds(
        scoring.Rule,
        id=st.integers(1, 10_000),
        name=st.just("rule"),
        dimension=st.just("engagement"),
        condition=st.just("activity"),
        points=st.integers(-20, 40),
        kind=st.sampled_from(KINDS),
        campaign_id=st.none() | st.integers(1, 3),
        cap=st.none() | st.integers(1, 100),
        half_life_days=st.none() | st.integers(1, 120),
    ),
    max_size=6,
)
activities_strategy = st.lists(
    st.builds(
        scoring.ActivityFacts,
        id=st.integers(1, 1_000_000),
        kind=st.sampled_from(KINDS),
        occurred_at=st.integers(0, 400 * 24).map(lambda h: NOW - timedelta(hours=h)),
        campaign_id=st.none() | st.integers(1, 3),
    ),
    max_size=30,
    unique_by=lambda a: a.id,
)
LEAD = scoring.LeadFacts(title="部長", email="a@example.jp")


def engagement(activities, rules):
    return scoring.explain(LEAD, activities, rules, now=NOW).engagement_score


@given(rules_strategy, activities_strategy, st.randoms())
def test_the_score_does_not_depend_on_activity_order(rules, activities, rnd):
    shuffled = list(activities)
    rnd.shuffle(shuffled)
    assert engagement(shuffled, rules) == engagement(activities, rules)


@given(rules_strategy, activities_strategy)
def test_each_activity_counts_once(rules, activities):
    assert engagement(activities + activities, rules) == engagement(activities, rules)


@given(
    rules_strategy.map(lambda rules: [r for r in rules if r.points >= 0]),
    activities_strategy,
    st.sampled_from(KINDS),
)
def test_more_engagement_never_lowers_the_score_before_decay(rules, activities, kind):
    fresh = scoring.ActivityFacts(id=2_000_000, kind=kind, occurred_at=NOW)
    assert engagement([*activities, fresh], rules) >= engagement(activities, rules)


@given(st.integers(-1000, 1000), st.integers(1, 3650))
def test_decay_halves_at_the_half_life(points, half_life):
    value = scoring.decayed(points, age_days=half_life, half_life_days=half_life)
    assert abs(value - points / 2) < 1e-9


@settings(max_examples=50)
@given(st.integers(1, 100), st.integers(1, 50), st.integers(1, 60))
def test_a_rule_never_gives_more_than_its_cap(cap, points, count):
    rule = scoring.Rule(1, "r", "engagement", "activity", points, kind="page_view", cap=cap)
    views = [scoring.ActivityFacts(i, "page_view", NOW) for i in range(count)]
    assert engagement(views, [rule]) == min(cap, points * count)


def test_fit_rules_match_who_the_lead_is():
    rules = [
        scoring.Rule(1, "boss", "fit", "title_contains", 20, words=("部長", "Director")),
        scoring.Rule(2, "big", "fit", "size_band_in", 15, words=("300-999", "1000+")),
        scoring.Rule(3, "free", "fit", "free_mail", -10),
        scoring.Rule(4, "rival", "fit", "email_domain_in", -50, words=("rival.example",)),
    ]
    boss = scoring.LeadFacts(title="営業部長", email="x@gmail.com", size_band="1000+")
    assert scoring.explain(boss, [], rules, now=NOW).fit_score == 20 + 15 - 10
    rival = scoring.LeadFacts(title="Sales Director", email="y@Rival.example")
    assert scoring.explain(rival, [], rules, now=NOW).fit_score == 20 - 50


def test_engagement_rule_can_be_limited_to_a_campaign_and_a_page():
    rule = scoring.Rule(
        1,
        "pricing",
        "engagement",
        "activity",
        10,
        kind="page_view",
        campaign_id=7,
        url_contains="/pricing",
    )
    hits = [
        scoring.ActivityFacts(1, "page_view", NOW, campaign_id=7, url="https://x.jp/pricing"),
        scoring.ActivityFacts(2, "page_view", NOW, campaign_id=8, url="https://x.jp/pricing"),
        scoring.ActivityFacts(3, "page_view", NOW, campaign_id=7, url="https://x.jp/blog"),
    ]
    assert engagement(hits, [rule]) == 10
