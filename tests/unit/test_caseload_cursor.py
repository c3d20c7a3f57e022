"""Where the next page of a caseload starts when clients moved in its order since the last
page: a client moving up ahead of the page's last client (an alert raised) showed the whole
page again, as the last client's place had moved down one, which read as their leaving."""

from __future__ import annotations

from uuid import UUID, uuid4

from carecoord.graphql.caseload import resumed_at

A, B, C, D, E = (uuid4() for _ in range(5))


def places(*order: UUID) -> dict[UUID, int]:
    return {client: place for place, client in enumerate(order)}


def next_page(before: list[UUID], shown: int, after: list[UUID], first: int = 2) -> list[UUID]:
    """The page read after the first ``shown`` of ``before``, in the order ``after``."""
    last, following = before[shown - 1], before[shown] if shown < len(before) else None
    start = resumed_at((shown - 1, last, following), places(*after))
    return after[start : start + first]


def test_a_client_moving_up_ahead_of_the_page_does_not_show_the_page_again() -> None:
    assert next_page([A, B, C, D, E], 2, [E, A, B, C, D]) == [C, D]


def test_a_client_moving_in_between_the_page_and_the_next_is_shown_next() -> None:
    assert next_page([A, B, C, D, E], 2, [A, B, E, C, D]) == [E, C]


def test_the_last_client_moving_down_or_leaving_passes_over_no_one() -> None:
    assert next_page([A, B, C, D, E], 2, [A, C, D, E, B]) == [C, D]
    assert next_page([A, B, C, D, E], 2, [A, C, D, E]) == [C, D]


def test_the_last_and_the_next_swapping_shows_the_next() -> None:
    assert next_page([A, B, C, D, E], 2, [A, C, B, D, E]) == [C, B]


def test_the_next_client_moving_ahead_of_the_page_passes_over_no_one_else() -> None:
    assert next_page([A, B, C, D, E], 2, [C, A, B, D, E]) == [D, E]


def test_the_next_client_leaving_or_none_following_reads_from_the_place() -> None:
    assert next_page([A, B, C, D, E], 2, [A, B, D, E]) == [D, E]
    assert next_page([A, B], 2, [A, B, C]) == [C]
