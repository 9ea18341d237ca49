"""Study seconds on the wall clock: each session's start is an anchor."""

from __future__ import annotations

from hpo_bridge.store.timing import StudyClock, iso

# Session 1 started at study time 0 (wall 1,000); it stopped at study time 30, and the
# study was resumed an hour later: session 2 starts at study time 30 (wall 4,630).
CLOCK = StudyClock(((0.0, 1_000.0), (30.0, 4_630.0)))


def test_times_inside_a_session_follow_its_anchor():
    assert CLOCK.wall(0.0) == 1_000.0
    assert CLOCK.wall(12.5) == 1_012.5
    assert CLOCK.wall(42.0) == 4_642.0


def test_the_instant_between_two_sessions_is_the_earlier_one_for_an_end():
    # The trial whose end was the last event before the stop ended in session 1; a trial
    # starting as the study resumes started in session 2.
    assert CLOCK.wall(30.0, ending=True) == 1_030.0
    assert CLOCK.wall(30.0) == 4_630.0
    assert CLOCK.wall(31.0, ending=True) == 4_631.0
    assert CLOCK.wall(0.0, ending=True) == 1_000.0  # nothing before the first anchor


def test_no_wall_clock_for_a_simulated_study_or_without_anchors():
    assert StudyClock(((0.0, 1_000.0),), simulated=True).wall(5.0) is None
    assert StudyClock().wall(5.0) is None
    assert CLOCK.wall(None) is None


def test_study_time_of_a_wall_clock_time():
    assert CLOCK.study(1_010.0) == 10.0
    assert CLOCK.study(4_640.0) == 40.0
    assert iso(1_000.5) == "1970-01-01T00:16:40.500Z"
