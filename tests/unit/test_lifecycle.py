import itertools

import pytest

from service.devices.lifecycle import DeviceStatus as S
from service.devices.lifecycle import IllegalMove, Move, allowed_moves, next_status

EXPECTED = {
    (S.in_stock, Move.assign): S.in_use,
    (S.in_use, Move.unassign): S.in_stock,
    (S.in_stock, Move.repair): S.in_repair,
    (S.in_use, Move.repair): S.in_repair,
    (S.in_stock, Move.retire): S.retired,
    (S.in_use, Move.retire): S.retired,
    (S.in_repair, Move.retire): S.retired,
    (S.retired, Move.wipe): S.wiped,
    (S.wiped, Move.value): S.valued,
    (S.valued, Move.dispose): S.disposed,
    (S.in_stock, Move.report_lost): S.lost,
    (S.in_use, Move.report_lost): S.lost,
    (S.in_repair, Move.report_lost): S.lost,
}


@pytest.mark.parametrize("status,move", list(itertools.product(S, [m for m in Move if m is not Move.register])))
def test_every_pair_matches_the_design(status: S, move: Move) -> None:
    if move is Move.return_from_repair:
        if status is S.in_repair:
            assert next_status(status, move, has_holder=True) is S.in_use
            assert next_status(status, move, has_holder=False) is S.in_stock
        else:
            with pytest.raises(IllegalMove):
                next_status(status, move, has_holder=True)
        return
    expected = EXPECTED.get((status, move))
    if expected is None:
        with pytest.raises(IllegalMove) as info:
            next_status(status, move, has_holder=False)
        assert info.value.current is status
        assert info.value.allowed == allowed_moves(status)
    else:
        assert next_status(status, move, has_holder=False) is expected


def test_terminal_states_allow_nothing() -> None:
    assert allowed_moves(S.disposed) == ()
    assert allowed_moves(S.lost) == ()


def test_illegal_move_message_names_state_and_alternatives() -> None:
    with pytest.raises(IllegalMove) as info:
        next_status(S.in_use, Move.assign, has_holder=True)
    text = str(info.value)
    assert "in_use" in text and "unassign" in text and "retire" in text


def test_every_status_has_label_and_colour() -> None:
    for status in S:
        assert status.label and status.colour
