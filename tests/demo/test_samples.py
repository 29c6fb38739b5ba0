"""The sample check-ins: plausible pain scores, a note now and then, two results."""

import random

from bot.demo import samples


def test_scores_stay_in_the_pain_scale_and_ease_over_four_weeks():
    rng = random.Random(1)
    scores = [samples.pain_score(day, rng) for day in range(1, samples.SAMPLE_LAST_DAY + 1)]
    assert all(0 <= s <= 8 for s in scores)  # never the 9-10 streak that asks for a clinician
    first, last = sum(scores[:7]) / 7, sum(scores[-7:]) / 7
    assert last < first


def test_some_days_are_typed_with_a_note_and_the_rest_are_button_presses():
    rng = random.Random(2)
    actions = {day: samples.check_in_action(day, rng) for day in range(1, samples.SAMPLE_LAST_DAY + 1)}
    for day, (how, what) in actions.items():
        if day in samples.NOTES:
            assert how == "send" and what.startswith("/pain ") and what.endswith(samples.NOTES[day])
        else:
            assert how == "press" and what.startswith("pain:")
    assert all(text.startswith("/level ") and "ng/mL" in text for text in samples.LEVELS.values())
