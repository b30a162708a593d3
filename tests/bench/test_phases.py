"""The fan-out benchmark's schedule: each path gets its share, in ABBA order."""

from bench.phases import block_order, block_sizes


def test_blocks_alternate_abba_so_neither_path_always_goes_first() -> None:
    assert block_order(4) == ["floor", "app", "app", "floor", "floor", "app", "app", "floor"]


def test_block_sizes_add_up_to_every_callback() -> None:
    assert block_sizes(10, 4) == [3, 3, 2, 2]
    assert sum(block_sizes(200, 4)) == 200
